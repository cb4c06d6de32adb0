/* e2e-tool.c: the helpers of bench/e2e.sh (issue 3, end-to-end SMS
 * delivery), one binary with three modes.  Loopback IPv4 only (127.0.0.0/8).
 * No Pipit library: bench/e2e.sh builds it with `cc -O2`.
 *
 *   e2e-tool load --port P --n N [--connections 50] [--method GET|POST]
 *                 --path TPL [--body TPL] [--auth BASE64] [--label L]
 *     Sends exactly N HTTP/1.1 requests over C keep-alive connections (one
 *     request in flight per connection, closed loop) and waits for every
 *     answer.  "{i}" in the path and body becomes the request's index as 7
 *     digits (so every message has its own destination).  A request whose
 *     connection fails before any byte of its answer arrived is sent once more
 *     on a new connection and counted in `retried` (it may then exist twice
 *     on the server: bench/e2e.sh checks the counts).  Prints on stdout
 *       LOAD_RESULT label= n= ok= non2xx= errors= retried= reconnects=
 *         t_first_ns= t_last_ns= secs= rps= p50_ms= p99_ms= max_ms= slow_connects=
 *     t_first_ns is the CLOCK_REALTIME instant the first request's first
 *     byte was written, t_last_ns the instant the last answer was complete.
 *
 *   e2e-tool dlr --port P [--n N]
 *     A delivery-report receiver (Kannel's dlr-url).  Every request on
 *     /dlr?...&id=X&st=S is answered 200 at once; st=1 (delivered) counts
 *     once per distinct id.  GET /count answers JSON:
 *       {"delivered":D,"duplicates":U,"other":O,"requests":R,
 *        "t_first_ns":F,"t_done_ns":T}
 *     where t_done_ns is when the N-th distinct delivered id arrived (0
 *     before).  Port 0 picks one; "DLR_PORT p" is printed on stdout once
 *     listening.  Runs until SIGTERM/SIGINT.
 *
 *   e2e-tool wait --port P --path PATH --key K --n N [--interval-ms 10]
 *                 [--timeout-s 600] [--stall-s 60] [--progress FILE]
 *     Polls GET PATH every interval until the JSON number "K" is >= N;
 *     prints "WAIT_RESULT t_ns= value= polls=" (t_ns: CLOCK_REALTIME when
 *     the answer that reached N was read).  Once a second it appends
 *     "<realtime ns> <body>" to FILE.  Exit 1 on timeout, 2 when the value
 *     did not change for stall-s seconds, 3 when PATH cannot be read. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_TOOL "e2e-tool"
#include "bench-net.h"

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  return a;
}

/* Grows *buf (capacity *cap) to hold at least `need` bytes. */
static void reserve(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  char *n = realloc(*buf, c);
  if (!n) die("realloc");
  *buf = n;
  *cap = c;
}

/* Reads what the socket has into *buf; returns bytes read, 0 on EOF, -1 on
 * EAGAIN, -2 on error. */
static ssize_t read_some(int fd, char **buf, size_t *len, size_t *cap) {
  reserve(buf, cap, *len + 16384);
  ssize_t n = recv(fd, *buf + *len, *cap - *len, 0);
  if (n > 0) {
    *len += (size_t)n;
    return n;
  }
  if (n == 0) return 0;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return -1;
  return -2;
}

/* Reads all fd has for now onto buf[0..len): true when the peer closed or
 * the read failed; *got tells whether any bytes came. */
static bool read_avail(int fd, char **buf, size_t *len, size_t *cap, bool *got) {
  for (;;) {
    ssize_t r = read_some(fd, buf, len, cap);
    if (r == -1) return false;
    if (r <= 0) return true;
    *got = true;
  }
}

/* Looks at the HTTP message at the head of buf[0..len): returns its total
 * length (head + Content-Length body), 0 if incomplete, -1 if malformed or
 * chunked.  *first is the first line; *close_after tells whether the peer
 * (HTTP/1.0 without keep-alive, or Connection: close) ends the connection. */
static long http_message(const char *buf, size_t len, bool *close_after) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (!end) return len > 65536 ? -1 : 0;
  size_t head = (size_t)(end - buf) + 4;
  const char *eol = memchr(buf, '\n', head);
  bool v10 = memmem(buf, (size_t)(eol - buf), "HTTP/1.0", 8) != NULL; /* status or request line */
  bool keep = false, close = false;
  long clen = 0;
  for (const char *p = memchr(buf, '\n', head); p && (size_t)(p - buf) + 1 < head;
       p = memchr(p + 1, '\n', head - (size_t)(p + 1 - buf))) {
    const char *h = p + 1;
    if (strncasecmp(h, "Content-Length:", 15) == 0) {
      clen = strtol(h + 15, NULL, 10);
    } else if (strncasecmp(h, "Connection:", 11) == 0) {
      const char *v = h + 11;
      while (*v == ' ') v++;
      if (strncasecmp(v, "close", 5) == 0) close = true;
      if (strncasecmp(v, "keep-alive", 10) == 0) keep = true;
    } else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
      return -1;
    }
  }
  *close_after = close || (v10 && !keep);
  if (clen < 0) return -1;
  if (len < head + (size_t)clen) return 0;
  return (long)(head + (size_t)clen);
}

/* ---- load ------------------------------------------------------------------ */

typedef struct {
  int fd;
  bool busy, want_out, got_bytes, retried;
  int64_t req;     /* index of the request in flight */
  int64_t sent_at; /* monotonic time its first byte was written */
  char *out;
  size_t out_len, out_off, out_cap;
  char *in;
  size_t in_len, in_cap;
} lconn_t;

static struct {
  struct sockaddr_in addr;
  int port, ep, nconns;
  const char *method, *path, *body, *auth;
  lconn_t *c;
  int64_t n, next, done, ok, non2xx, errors, retried, reconnects;
  int64_t t_first_real, t_first_mono, t_last_mono;
  int64_t *lat;
  bool reported_non2xx;
  int slow_connects; /* connects that took over 200 ms (a SYN was dropped) */
} L;

/* Appends template t with every "{i}" replaced by the 7-digit index. */
static void subst(char **buf, size_t *len, size_t *cap, const char *t, int64_t i) {
  char num[16];
  snprintf(num, sizeof num, "%07lld", (long long)(i % 10000000));
  for (const char *p = t; *p;) {
    const char *q = strstr(p, "{i}");
    size_t k = q ? (size_t)(q - p) : strlen(p);
    reserve(buf, cap, *len + k + 8);
    memcpy(*buf + *len, p, k);
    *len += k;
    if (!q) break;
    memcpy(*buf + *len, num, 7);
    *len += 7;
    p = q + 3;
  }
}

static void build_request(lconn_t *c, int64_t i) {
  char *body = NULL;
  size_t blen = 0, bcap = 0;
  if (L.body) subst(&body, &blen, &bcap, L.body, i);
  c->out_len = 0;
  char head[512];
  int k = snprintf(head, sizeof head, "%s ", L.method);
  reserve(&c->out, &c->out_cap, (size_t)k);
  memcpy(c->out, head, (size_t)k);
  c->out_len = (size_t)k;
  subst(&c->out, &c->out_len, &c->out_cap, L.path, i);
  k = snprintf(head, sizeof head, " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", L.port);
  if (L.auth)
    k += snprintf(head + k, sizeof head - (size_t)k, "Authorization: Basic %s\r\n", L.auth);
  if (L.body)
    k += snprintf(head + k, sizeof head - (size_t)k,
                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n",
                  blen);
  k += snprintf(head + k, sizeof head - (size_t)k, "\r\n");
  reserve(&c->out, &c->out_cap, c->out_len + (size_t)k + blen);
  memcpy(c->out + c->out_len, head, (size_t)k);
  c->out_len += (size_t)k;
  if (blen) memcpy(c->out + c->out_len, body, blen);
  c->out_len += blen;
  c->out_off = 0;
  free(body);
}

static void lopen(int i) {
  lconn_t *c = &L.c[i];
  c->fd = connect_nodelay(&L.addr);
  c->in_len = 0;
  c->want_out = false;
  epoll_set(L.ep, EPOLL_CTL_ADD, c->fd, (uint32_t)i, false);
}

static int lflush(int i) {
  lconn_t *c = &L.c[i];
  return flush_watch(L.ep, c->fd, (uint32_t)i, c->out, c->out_len, &c->out_off, &c->want_out);
}

static void lsend(int i);

/* The connection failed or was closed by the server. */
static void lreset(int i) {
  lconn_t *c = &L.c[i];
  epoll_ctl(L.ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  L.reconnects++;
  lopen(i);
  if (!c->busy) {
    lsend(i);
    return;
  }
  if (!c->got_bytes && !c->retried) { /* keep-alive race: send it again, once */
    L.retried++;
    c->retried = true;
    c->out_off = 0;
    c->got_bytes = false;
    if (lflush(i) != 0) die("send after reconnect");
    return;
  }
  L.errors++;
  L.done++;
  c->busy = false;
  lsend(i);
}

/* Starts the next request on idle connection i, if any is left. */
static void lsend(int i) {
  lconn_t *c = &L.c[i];
  if (L.next >= L.n) return;
  c->req = L.next++;
  c->busy = true;
  c->got_bytes = false;
  c->retried = false;
  build_request(c, c->req);
  c->sent_at = mono();
  if (c->req == 0) {
    L.t_first_real = real();
    L.t_first_mono = c->sent_at;
  }
  if (lflush(i) != 0) lreset(i);
}

static void lread(int i) {
  lconn_t *c = &L.c[i];
  bool got = false;
  bool eof = read_avail(c->fd, &c->in, &c->in_len, &c->in_cap, &got);
  if (got && c->busy) c->got_bytes = true;
  while (c->in_len > 0) {
    bool close_after = false;
    long m = http_message(c->in, c->in_len, &close_after);
    if (m == 0) break;
    if (m < 0 || !c->busy || strncmp(c->in, "HTTP/1.", 7) != 0) {
      fprintf(stderr, "e2e-tool load: a malformed or unexpected answer\n");
      exit(1);
    }
    int status = atoi(c->in + 9);
    int64_t t = mono();
    L.lat[c->req] = t - c->sent_at;
    L.t_last_mono = t;
    L.done++;
    if (status >= 200 && status < 300) {
      L.ok++;
    } else {
      L.non2xx++;
      if (!L.reported_non2xx) {
        L.reported_non2xx = true;
        fprintf(stderr, "e2e-tool load: first non-2xx answer: %.*s\n", (int)(m > 600 ? 600 : m),
                c->in);
      }
    }
    c->busy = false;
    memmove(c->in, c->in + m, c->in_len - (size_t)m);
    c->in_len -= (size_t)m;
    if (close_after) {
      lreset(i); /* also starts the next request */
      return;
    }
    lsend(i);
  }
  if (eof) lreset(i);
}

static int run_load(int argc, char **argv) {
  const char *label = "load";
  L.method = "POST";
  L.nconns = 50;
  const opt_t opts[] = {{"port", 0, OPT_INT, &L.port},          {"n", 0, OPT_I64, &L.n},
                        {"connections", 0, OPT_INT, &L.nconns}, {"method", 0, OPT_STR, &L.method},
                        {"path", 0, OPT_STR, &L.path},          {"body", 0, OPT_STR, &L.body},
                        {"auth", 0, OPT_STR, &L.auth},          {"label", 0, OPT_STR, &label}};
  if (!parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0])) {
    fprintf(stderr, "e2e-tool load: bad option\n");
    return 2;
  }
  if (L.port <= 0 || L.n <= 0 || L.nconns <= 0 || !L.path) {
    fprintf(stderr, "usage: e2e-tool load --port P --n N --path TPL [--body TPL] ...\n");
    return 2;
  }
  if (L.nconns > L.n) L.nconns = (int)L.n;
  L.addr = loopback(L.port);
  L.ep = epoll_create1(0);
  if (L.ep < 0) die("epoll_create1");
  L.c = calloc((size_t)L.nconns, sizeof *L.c);
  L.lat = calloc((size_t)L.n, sizeof *L.lat);
  if (!L.c || !L.lat) die("calloc");
  /* Open every connection before the first request, a few at a time: a
   * server with a short accept queue (smsbox listens with a backlog of 10)
   * drops the SYNs that overflow it, and those connects then take a 1 s
   * retransmission.  Setup only: the measured time starts at the first
   * request. */
  int64_t c0 = mono();
  for (int i = 0; i < L.nconns; i++) {
    int64_t t = mono();
    lopen(i);
    if (mono() - t > 200000000) L.slow_connects++;
    if (i % 5 == 4) {
      struct timespec ts = {.tv_nsec = 10000000};
      nanosleep(&ts, NULL);
    }
  }
  fprintf(stderr, "e2e-tool load: %d connections open in %.0f ms (%d slow)\n", L.nconns,
          (double)(mono() - c0) / 1e6, L.slow_connects);
  for (int i = 0; i < L.nconns; i++) lsend(i);
  struct epoll_event evs[256];
  while (L.done < L.n) {
    int k = epoll_wait(L.ep, evs, 256, 60000);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    if (k == 0) {
      fprintf(stderr, "e2e-tool load: no answer for 60 s (%lld of %lld done)\n", (long long)L.done,
              (long long)L.n);
      return 1;
    }
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32;
      if (evs[j].events & EPOLLOUT) {
        if (lflush(i) != 0) {
          lreset(i);
          continue;
        }
      }
      if (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) lread(i);
    }
  }
  int64_t t_last_real = real() - (mono() - L.t_last_mono);
  double secs = (double)(L.t_last_mono - L.t_first_mono) / 1e9;
  int64_t m = 0;
  for (int64_t i = 0; i < L.n; i++)
    if (L.lat[i] > 0) L.lat[m++] = L.lat[i];
  qsort(L.lat, (size_t)m, sizeof *L.lat, cmp_i64);
  double p50 = m ? (double)L.lat[m / 2] / 1e6 : 0, p99 = m ? (double)L.lat[m * 99 / 100] / 1e6 : 0,
         mx = m ? (double)L.lat[m - 1] / 1e6 : 0;
  printf(
      "LOAD_RESULT label=%s n=%lld ok=%lld non2xx=%lld errors=%lld retried=%lld reconnects=%lld "
      "t_first_ns=%lld t_last_ns=%lld secs=%.3f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      "slow_connects=%d\n",
      label, (long long)L.n, (long long)L.ok, (long long)L.non2xx, (long long)L.errors,
      (long long)L.retried, (long long)L.reconnects, (long long)L.t_first_real,
      (long long)t_last_real, secs, secs > 0 ? (double)L.ok / secs : 0, p50, p99, mx,
      L.slow_connects);
  return 0;
}

/* ---- dlr receiver --------------------------------------------------------- */

typedef struct {
  int fd;
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_len, out_off, out_cap;
  bool close_after_out;
} dconn_t;

static struct {
  int ep, lfd;
  int64_t n, delivered, duplicates, other, requests, t_first, t_done;
  char **ids; /* open addressing set of st=1 ids */
  size_t ids_cap, ids_len;
} D;

static volatile sig_atomic_t stop_flag;
static void on_stop(int s) {
  (void)s;
  stop_flag = 1;
}

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

/* Adds id to the set; false if it was there. */
static bool ids_add(const char *id, size_t n) {
  if ((D.ids_len + 1) * 2 > D.ids_cap) {
    size_t nc = D.ids_cap ? D.ids_cap * 2 : 1 << 18;
    char **nt = calloc(nc, sizeof *nt);
    if (!nt) die("calloc");
    for (size_t i = 0; i < D.ids_cap; i++) {
      if (!D.ids[i]) continue;
      size_t j = hash(D.ids[i], strlen(D.ids[i])) & (nc - 1);
      while (nt[j]) j = (j + 1) & (nc - 1);
      nt[j] = D.ids[i];
    }
    free(D.ids);
    D.ids = nt;
    D.ids_cap = nc;
  }
  size_t j = hash(id, n) & (D.ids_cap - 1);
  while (D.ids[j]) {
    if (strlen(D.ids[j]) == n && memcmp(D.ids[j], id, n) == 0) return false;
    j = (j + 1) & (D.ids_cap - 1);
  }
  D.ids[j] = strndup(id, n);
  D.ids_len++;
  return true;
}

/* Finds query parameter `name` in q[0..n); sets *v, *vn. */
static bool query_param(const char *q, size_t n, const char *name, const char **v, size_t *vn) {
  size_t nl = strlen(name);
  const char *p = q, *end = q + n;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *e = amp ? amp : end;
    if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
      *v = p + nl + 1;
      *vn = (size_t)(e - *v);
      return true;
    }
    p = e + 1;
  }
  return false;
}

static void dqueue(dconn_t *c, int status, const char *body) {
  char head[256];
  size_t bl = strlen(body);
  int k = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
                   status == 200 ? "OK" : "Not Found", bl ? "application/json" : "text/plain", bl,
                   c->close_after_out ? "Connection: close\r\n" : "");
  reserve(&c->out, &c->out_cap, c->out_len + (size_t)k + bl);
  memcpy(c->out + c->out_len, head, (size_t)k);
  memcpy(c->out + c->out_len + k, body, bl);
  c->out_len += (size_t)k + bl;
}

static void dhandle(dconn_t *c, const char *req, size_t head) {
  D.requests++;
  const char *sp = memchr(req, ' ', head);
  if (!sp) return dqueue(c, 404, "");
  const char *path = sp + 1;
  const char *sp2 = memchr(path, ' ', head - (size_t)(path - req));
  if (!sp2) return dqueue(c, 404, "");
  size_t plen = (size_t)(sp2 - path);
  if (plen >= 4 && memcmp(path, "/dlr", 4) == 0) {
    const char *qm = memchr(path, '?', plen);
    const char *st = NULL, *id = NULL;
    size_t stn = 0, idn = 0;
    if (qm) {
      size_t qn = plen - (size_t)(qm + 1 - path);
      query_param(qm + 1, qn, "st", &st, &stn);
      query_param(qm + 1, qn, "id", &id, &idn);
    }
    if (st && stn == 1 && st[0] == '1' && id) {
      if (ids_add(id, idn)) {
        D.delivered++;
        if (D.delivered == 1) D.t_first = real();
        if (D.delivered == D.n) D.t_done = real();
      } else {
        D.duplicates++;
      }
    } else {
      D.other++;
    }
    return dqueue(c, 200, "");
  }
  if (plen >= 6 && memcmp(path, "/count", 6) == 0) {
    D.requests--; /* only report requests */
    char b[256];
    snprintf(b, sizeof b,
             "{\"delivered\":%lld,\"duplicates\":%lld,\"other\":%lld,\"requests\":%lld,"
             "\"t_first_ns\":%lld,\"t_done_ns\":%lld}",
             (long long)D.delivered, (long long)D.duplicates, (long long)D.other,
             (long long)D.requests, (long long)D.t_first, (long long)D.t_done);
    return dqueue(c, 200, b);
  }
  dqueue(c, 404, "");
}

static void dclose(dconn_t *c) {
  epoll_ctl(D.ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

/* Writes queued output; returns false if the connection is gone. */
static bool dflush(dconn_t *c) {
  int r = send_rest(c->fd, c->out, c->out_len, &c->out_off);
  if (r > 0) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(D.ep, EPOLL_CTL_MOD, c->fd, &ev);
    return true;
  }
  if (r < 0) {
    dclose(c);
    return false;
  }
  c->out_off = c->out_len = 0;
  if (c->close_after_out) {
    dclose(c);
    return false;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(D.ep, EPOLL_CTL_MOD, c->fd, &ev);
  return true;
}

static void dread(dconn_t *c) {
  bool got = false;
  bool eof = read_avail(c->fd, &c->in, &c->in_len, &c->in_cap, &got);
  size_t off = 0;
  while (off < c->in_len && !c->close_after_out) {
    bool close_after = false;
    long m = http_message(c->in + off, c->in_len - off, &close_after);
    if (m == 0) break;
    if (m < 0) {
      dclose(c);
      return;
    }
    const char *e = memmem(c->in + off, (size_t)m, "\r\n\r\n", 4);
    c->close_after_out = close_after;
    dhandle(c, c->in + off, (size_t)(e - (c->in + off)) + 2);
    off += (size_t)m;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  if (c->out_len > c->out_off && !dflush(c)) return;
  if (eof) dclose(c);
}

static int run_dlr(int argc, char **argv) {
  int port = 0;
  const opt_t opts[] = {{"port", 0, OPT_INT, &port}, {"n", 0, OPT_I64, &D.n}};
  if (!parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0])) {
    fprintf(stderr, "usage: e2e-tool dlr --port P [--n N]\n");
    return 2;
  }
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  D.lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (D.lfd < 0) die("socket");
  int one = 1;
  setsockopt(D.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(port);
  if (bind(D.lfd, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
  if (listen(D.lfd, 1024) != 0) die("listen");
  socklen_t al = sizeof a;
  getsockname(D.lfd, (struct sockaddr *)&a, &al);
  nonblock(D.lfd);
  D.ep = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(D.ep, EPOLL_CTL_ADD, D.lfd, &lev);
  printf("DLR_PORT %d\n", ntohs(a.sin_port));
  fflush(stdout);
  struct epoll_event evs[256];
  while (!stop_flag) {
    int k = epoll_wait(D.ep, evs, 256, 500);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int j = 0; j < k; j++) {
      dconn_t *c = evs[j].data.ptr;
      if (!c) {
        for (;;) {
          int fd = accept4(D.lfd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          dconn_t *nc = calloc(1, sizeof *nc);
          if (!nc) die("calloc");
          nc->fd = fd;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(D.ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      if ((evs[j].events & EPOLLOUT) && !dflush(c)) continue;
      if (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) dread(c);
    }
  }
  printf(
      "DLR_RESULT delivered=%lld duplicates=%lld other=%lld requests=%lld t_first_ns=%lld "
      "t_done_ns=%lld\n",
      (long long)D.delivered, (long long)D.duplicates, (long long)D.other, (long long)D.requests,
      (long long)D.t_first, (long long)D.t_done);
  return 0;
}

/* ---- wait ------------------------------------------------------------------- */

/* One GET over a new connection; the body into *body (NUL-terminated).
 * Returns false on any failure. */
static bool http_get(int port, const char *path, char **body, size_t *cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in a = loopback(port);
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return false;
  }
  char req[512];
  int k =
      snprintf(req, sizeof req,
               "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", path, port);
  if (send(fd, req, (size_t)k, MSG_NOSIGNAL) != k) {
    close(fd);
    return false;
  }
  char *buf = NULL;
  size_t len = 0, bcap = 0;
  long m = 0;
  for (;;) {
    ssize_t r = read_some(fd, &buf, &len, &bcap);
    bool ca;
    m = http_message(buf, len, &ca);
    if (m != 0) break;
    if (r <= 0) break;
  }
  close(fd);
  bool ok = m > 0 && len >= 12 && atoi(buf + 9) == 200;
  if (ok) {
    const char *e = memmem(buf, (size_t)m, "\r\n\r\n", 4) + 4;
    size_t bl = (size_t)(buf + m - e);
    reserve(body, cap, bl + 1);
    memcpy(*body, e, bl);
    (*body)[bl] = '\0';
  }
  free(buf);
  return ok;
}

static bool json_number(const char *body, const char *key, long long *v) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(body, pat);
  if (!p) return false;
  *v = strtoll(p + strlen(pat), NULL, 10);
  return true;
}

static int run_wait(int argc, char **argv) {
  int port = 0, interval_ms = 10, timeout_s = 600, stall_s = 60;
  const char *path = NULL, *key = NULL, *progress = NULL;
  int64_t n = 0;
  const opt_t opts[] = {{"port", 0, OPT_INT, &port},
                        {"path", 0, OPT_STR, &path},
                        {"key", 0, OPT_STR, &key},
                        {"n", 0, OPT_I64, &n},
                        {"interval-ms", 0, OPT_INT, &interval_ms},
                        {"timeout-s", 0, OPT_INT, &timeout_s},
                        {"stall-s", 0, OPT_INT, &stall_s},
                        {"progress", 0, OPT_STR, &progress}};
  if (!parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0])) {
    fprintf(stderr, "e2e-tool wait: bad option\n");
    return 2;
  }
  if (port <= 0 || !path || !key) {
    fprintf(stderr, "usage: e2e-tool wait --port P --path PATH --key K --n N ...\n");
    return 2;
  }
  FILE *pf = progress ? fopen(progress, "a") : NULL;
  char *body = NULL;
  size_t cap = 0;
  int64_t start = mono(), last_change = start, last_progress = 0;
  long long last = -1, polls = 0;
  int failures = 0;
  for (;;) {
    polls++;
    if (!http_get(port, path, &body, &cap)) {
      if (++failures >= 50) {
        fprintf(stderr, "e2e-tool wait: cannot read %s on port %d\n", path, port);
        return 3;
      }
    } else {
      failures = 0;
      long long v = 0;
      int64_t t = real(), tm = mono();
      if (!json_number(body, key, &v)) {
        fprintf(stderr, "e2e-tool wait: no \"%s\" in %s\n", key, body);
        return 3;
      }
      if (pf && tm - last_progress >= 1000000000) {
        fprintf(pf, "%lld %s\n", (long long)t, body);
        fflush(pf);
        last_progress = tm;
      }
      if (v >= n) {
        if (pf) fprintf(pf, "%lld %s\n", (long long)t, body), fclose(pf);
        printf("WAIT_RESULT t_ns=%lld value=%lld polls=%lld\n", (long long)t, v, polls);
        return 0;
      }
      if (v != last) {
        last = v;
        last_change = tm;
      }
      if (tm - last_change > (int64_t)stall_s * 1000000000) {
        fprintf(stderr, "e2e-tool wait: %s stuck at %lld for %d s (want %lld)\n", key, v, stall_s,
                (long long)n);
        printf("WAIT_RESULT t_ns=0 value=%lld polls=%lld stalled=1\n", v, polls);
        return 2;
      }
    }
    if (mono() - start > (int64_t)timeout_s * 1000000000) {
      fprintf(stderr, "e2e-tool wait: timeout after %d s (%s at %lld, want %lld)\n", timeout_s, key,
              last, (long long)n);
      printf("WAIT_RESULT t_ns=0 value=%lld polls=%lld timeout=1\n", last, polls);
      return 1;
    }
    struct timespec ts = {.tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "load") == 0) return run_load(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "dlr") == 0) return run_dlr(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "wait") == 0) return run_wait(argc - 1, argv + 1);
  fprintf(stderr, "usage: e2e-tool load|dlr|wait ... (see the comment at the top of e2e-tool.c)\n");
  return 2;
}
