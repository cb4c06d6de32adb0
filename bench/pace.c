/* pace.c: pp_pace, a small open-loop (paced) HTTP/1.1 load generator for
 * bench/run.sh.  wrk is closed-loop (a connection sends its next request
 * only when the previous answer arrived), so a slow server slows the load
 * and hides its own latency (coordinated omission); Debian has no wrk2.
 *
 * Request i is due at start + i/rate.  Due requests go, in order, to idle
 * keep-alive connections (one request in flight per connection); when no
 * connection is idle they wait in a backlog.  Latency is measured from the
 * scheduled time, not the time of the write, so waiting in the backlog (the
 * server being slow) counts against the server as it would for a real
 * client sending at that rate.
 *
 * One thread, epoll, nanosecond timeouts (epoll_pwait2).  Requests scheduled
 * in the first --warmup seconds are sent but not measured.  After the last
 * request is due, answers are awaited for --drain seconds; the rest count as
 * timeouts.  Only loopback IPv4 targets (127.0.0.0/8) are accepted.
 *
 * Output: a human summary on stderr and one line on stdout:
 *   PACE_RESULT label=... target_rps=... achieved_rps=... sent=N completed=N
 *     measured=N ok=N non2xx=N errors=N timeouts=N p50_ms=... p90_ms=...
 *     p99_ms=... p999_ms=... max_ms=... max_backlog=N send_lag_p99_ms=... */
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_TOOL "pp_pace"
#include "bench-net.h"

typedef struct {
  int fd;
  bool busy;      /* a request is in flight */
  int64_t req;    /* index of the request in flight */
  size_t out_off; /* bytes of the request written so far */
  bool want_out;  /* registered for EPOLLOUT */
  char *in;
  size_t in_len, in_cap;
} conn_t;

static struct {
  struct sockaddr_in addr;
  char *request;
  size_t request_len;
  conn_t *conns;
  int nconns;
  int *idle; /* stack of idle connection indices */
  int nidle;
  int ep;
  /* results */
  int64_t *lat_ns; /* per measured request, 0 = no answer */
  int64_t *lag_ns; /* send time - scheduled time, per measured request */
  int64_t completed, ok, non2xx, status201, errors, reconnects;
  int64_t max_backlog;
  int64_t last_answer; /* time of the last answer to a measured request */
} g;

static void conn_setup(int i) {
  conn_t *c = &g.conns[i];
  c->fd = connect_nodelay(&g.addr);
  c->busy = false;
  c->in_len = 0;
  c->want_out = false;
  epoll_set(g.ep, EPOLL_CTL_ADD, c->fd, (uint32_t)i, false);
  g.idle[g.nidle++] = i;
}

/* The connection failed or the server closed it: the request in flight (if
 * any) is an error; open a new connection in its place. */
static void conn_reset(int i, bool count_error) {
  conn_t *c = &g.conns[i];
  if (c->busy && count_error) g.errors++;
  epoll_ctl(g.ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  g.reconnects++;
  conn_setup(i);
}

/* Writes what is left of the request; 0 on progress or done, -1 on error. */
static int flush_out(int i) {
  conn_t *c = &g.conns[i];
  return flush_watch(g.ep, c->fd, (uint32_t)i, g.request, g.request_len, &c->out_off, &c->want_out);
}

/* Parses one complete response at the head of c->in.  Returns its total
 * length, 0 if incomplete, -1 if malformed; sets *status and *close. */
static long parse_response(conn_t *c, int *status, bool *close_after) {
  if (c->in_len < 12) return 0;
  char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
  if (!end) return c->in_len > 65536 ? -1 : 0;
  size_t head = (size_t)(end - c->in) + 4;
  if (strncmp(c->in, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(c->in + 9);
  long clen = -1;
  *close_after = c->in[7] == '0'; /* HTTP/1.0 */
  for (char *p = memchr(c->in, '\n', head); p && (size_t)(p - c->in) < head;
       p = memchr(p + 1, '\n', head - (size_t)(p + 1 - c->in))) {
    char *h = p + 1;
    if (strncasecmp(h, "Content-Length:", 15) == 0)
      clen = strtol(h + 15, NULL, 10);
    else if (strncasecmp(h, "Connection:", 11) == 0) {
      char *v = h + 11;
      while (*v == ' ') v++;
      if (strncasecmp(v, "close", 5) == 0) *close_after = true;
    } else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0)
      return -1; /* not used by the servers we measure */
  }
  if (clen < 0) clen = 0;
  if (c->in_len < head + (size_t)clen) return 0;
  return (long)(head + (size_t)clen);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *path = "/", *auth = NULL, *label = "pace";
  const char *body = "To=%2B15551234567&From=%2B15557654321&Body=Hello";
  double rate = 1000, duration = 10, warmup = 2, drain = 5;
  int port = 0;
  g.nconns = 64;
  const opt_t opts[] = {{"host", 'h', OPT_STR, &host},
                        {"port", 'p', OPT_INT, &port},
                        {"path", 'P', OPT_STR, &path},
                        {"auth", 'a', OPT_STR, &auth},
                        {"body", 'b', OPT_STR, &body},
                        {"rate", 'r', OPT_DOUBLE, &rate},
                        {"duration", 'd', OPT_DOUBLE, &duration},
                        {"warmup", 'w', OPT_DOUBLE, &warmup},
                        {"connections", 'c', OPT_INT, &g.nconns},
                        {"drain", 'D', OPT_DOUBLE, &drain},
                        {"label", 'l', OPT_STR, &label}};
  if (!parse_opts(argc, argv, opts, sizeof opts / sizeof opts[0])) {
    fprintf(stderr,
            "usage: pp_pace --port N [--host 127.0.0.1] [--path P] [--auth BASE64]\n"
            "               [--body FORM] --rate R --duration S [--warmup S]\n"
            "               [--connections N] [--drain S] [--label NAME]\n");
    return 2;
  }
  memset(&g.addr, 0, sizeof g.addr);
  g.addr.sin_family = AF_INET;
  g.addr.sin_port = htons((uint16_t)port);
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &g.addr.sin_addr) != 1 ||
      (ntohl(g.addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "pp_pace: target must be a loopback IPv4 address and a port\n");
    return 2;
  }
  if (rate <= 0 || duration <= warmup || g.nconns < 1 || g.nconns > 10000) {
    fprintf(stderr, "pp_pace: need rate > 0, duration > warmup, 1..10000 connections\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  /* The one request, built once. */
  size_t cap = strlen(path) + strlen(body) + (auth ? strlen(auth) : 0) + 512;
  g.request = malloc(cap);
  if (!g.request) die("malloc");
  int n = snprintf(g.request, cap,
                   "POST %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   path, host, port, auth ? "Authorization: Basic " : "", auth ? auth : "",
                   auth ? "\r\n" : "", strlen(body), body);
  g.request_len = (size_t)n;

  const int64_t total = (int64_t)(rate * duration);
  const int64_t first_measured = (int64_t)(rate * warmup);
  const int64_t measured = total - first_measured;
  const double period_ns = 1e9 / rate;
  g.lat_ns = calloc((size_t)measured, sizeof *g.lat_ns);
  g.lag_ns = calloc((size_t)measured, sizeof *g.lag_ns);
  g.conns = calloc((size_t)g.nconns, sizeof *g.conns);
  g.idle = calloc((size_t)g.nconns, sizeof *g.idle);
  if (!g.lat_ns || !g.lag_ns || !g.conns || !g.idle) die("calloc");
  g.ep = epoll_create1(0);
  if (g.ep < 0) die("epoll_create1");
  for (int i = 0; i < g.nconns; i++) {
    g.conns[i].in_cap = 16384;
    g.conns[i].in = malloc(g.conns[i].in_cap);
    if (!g.conns[i].in) die("malloc");
    conn_setup(i);
  }
  g.reconnects = 0;

  const int64_t start = mono() + 10000000; /* 10 ms to settle */
  int64_t next = 0;                        /* next request to send */
  int64_t inflight = 0;
  const int64_t last_due = start + (int64_t)((double)(total - 1) * period_ns);
  const int64_t deadline = last_due + (int64_t)(drain * 1e9);
  struct epoll_event evs[256];

  for (;;) {
    int64_t now = mono();
    /* Send every due request an idle connection can take. */
    while (next < total && g.nidle > 0) {
      int64_t due = start + (int64_t)((double)next * period_ns);
      if (due > now) break;
      int i = g.idle[--g.nidle];
      conn_t *c = &g.conns[i];
      c->busy = true;
      c->req = next;
      c->out_off = 0;
      if (next >= first_measured) g.lag_ns[next - first_measured] = now - due;
      next++;
      inflight++;
      if (flush_out(i) != 0) {
        inflight--;
        conn_reset(i, true);
      }
    }
    if (next < total) {
      int64_t due_idx = (int64_t)((double)(now - start) / period_ns) + 1;
      int64_t backlog = (due_idx < total ? due_idx : total) - next;
      if (backlog > g.max_backlog) g.max_backlog = backlog;
    }
    if (next >= total && inflight == 0) break;
    if (now >= deadline) break;
    /* Sleep until the next due time (if a connection can take it), a
     * response, or the drain deadline. */
    int64_t wake = deadline;
    if (next < total && g.nidle > 0) {
      int64_t due = start + (int64_t)((double)next * period_ns);
      if (due < wake) wake = due;
    }
    int64_t wait = wake - now;
    if (wait < 0) wait = 0;
    if (wait > 100000000) wait = 100000000;
    struct timespec ts = {wait / 1000000000, wait % 1000000000};
    int ne = epoll_pwait2(g.ep, evs, 256, &ts, NULL);
    if (ne < 0) {
      if (errno == EINTR) continue;
      die("epoll_pwait2");
    }
    int64_t t = mono();
    for (int k = 0; k < ne; k++) {
      int i = (int)evs[k].data.u32;
      conn_t *c = &g.conns[i];
      if (evs[k].events & EPOLLOUT && c->busy && c->out_off < g.request_len) {
        if (flush_out(i) != 0) {
          inflight -= c->busy;
          conn_reset(i, true);
          continue;
        }
      }
      if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      bool dead = false;
      for (;;) {
        if (c->in_len == c->in_cap) {
          dead = true; /* a response larger than 16 KiB: not ours */
          break;
        }
        ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (r > 0) {
          c->in_len += (size_t)r;
          continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        dead = true; /* closed or failed */
        break;
      }
      /* Complete responses first (the server may answer, then close). */
      for (;;) {
        int status = 0;
        bool close_after = false;
        long len = parse_response(c, &status, &close_after);
        if (len == 0) break;
        if (len < 0 || !c->busy) {
          dead = true;
          break;
        }
        int64_t idx = c->req;
        g.completed++;
        if (status >= 200 && status < 400)
          g.ok++;
        else
          g.non2xx++;
        if (status == 201) g.status201++;
        if (idx >= first_measured) {
          int64_t due = start + (int64_t)((double)idx * period_ns);
          int64_t l = t - due;
          g.lat_ns[idx - first_measured] = l > 0 ? l : 1;
          g.last_answer = t;
        }
        memmove(c->in, c->in + len, c->in_len - (size_t)len);
        c->in_len -= (size_t)len;
        c->busy = false;
        inflight--;
        if (close_after) {
          dead = true;
          break;
        }
        g.idle[g.nidle++] = i;
      }
      if (dead) {
        if (c->busy)
          inflight--;
        else /* it was on the idle stack: take it off */
          for (int j = 0; j < g.nidle; j++)
            if (g.idle[j] == i) {
              g.idle[j] = g.idle[--g.nidle];
              break;
            }
        conn_reset(i, true);
      }
    }
  }
  int64_t end = mono();

  /* Latencies of measured requests; an unanswered one is a timeout. */
  int64_t timeouts = 0, m = 0;
  for (int64_t i = 0; i < measured; i++) {
    if (g.lat_ns[i] > 0)
      g.lat_ns[m++] = g.lat_ns[i];
    else
      timeouts++;
  }
  qsort(g.lat_ns, (size_t)m, sizeof *g.lat_ns, cmp_i64);
  qsort(g.lag_ns, (size_t)measured, sizeof *g.lag_ns, cmp_i64);
#define PCT(arr, cnt, p) ((cnt) ? (double)(arr)[(int64_t)((double)((cnt)-1) * (p))] / 1e6 : 0.0)
  /* Achieved rate: measured answers over the time from the first measured
   * request's due time to the last measured answer (or the end of the
   * schedule, whichever is later): below target when the server fell
   * behind. */
  int64_t w0 = start + (int64_t)((double)first_measured * period_ns);
  int64_t w1 = start + (int64_t)((double)total * period_ns);
  if (g.last_answer > w1) w1 = g.last_answer;
  double window = (double)(w1 - w0) / 1e9;
  double achieved = window > 0 ? (double)m / window : 0;
  (void)end;
  fprintf(stderr,
          "pp_pace %s: target %.0f req/s for %.1f s (%.1f s warm-up), %d connections\n"
          "  sent %lld, completed %lld (2xx/3xx %lld, 201 %lld, other %lld), errors %lld,"
          " unanswered %lld, reconnects %lld\n"
          "  measured %lld answers in %.2f s: %.1f req/s\n"
          "  latency from scheduled send: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms,"
          " p99.9 %.3f ms, max %.3f ms\n"
          "  max backlog %lld requests; send lag p99 %.3f ms\n",
          label, rate, duration, warmup, g.nconns, (long long)next, (long long)g.completed,
          (long long)g.ok, (long long)g.status201, (long long)g.non2xx, (long long)g.errors,
          (long long)timeouts, (long long)g.reconnects, (long long)m, window, achieved,
          PCT(g.lat_ns, m, 0.50), PCT(g.lat_ns, m, 0.90), PCT(g.lat_ns, m, 0.99),
          PCT(g.lat_ns, m, 0.999), m ? (double)g.lat_ns[m - 1] / 1e6 : 0.0,
          (long long)g.max_backlog, PCT(g.lag_ns, measured, 0.99));
  printf(
      "PACE_RESULT label=%s target_rps=%.0f achieved_rps=%.1f sent=%lld completed=%lld "
      "measured=%lld ok=%lld status201=%lld non2xx=%lld errors=%lld timeouts=%lld "
      "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f max_backlog=%lld "
      "send_lag_p99_ms=%.3f\n",
      label, rate, achieved, (long long)next, (long long)g.completed, (long long)m, (long long)g.ok,
      (long long)g.status201, (long long)g.non2xx, (long long)g.errors, (long long)timeouts,
      PCT(g.lat_ns, m, 0.50), PCT(g.lat_ns, m, 0.90), PCT(g.lat_ns, m, 0.99),
      PCT(g.lat_ns, m, 0.999), m ? (double)g.lat_ns[m - 1] / 1e6 : 0.0, (long long)g.max_backlog,
      PCT(g.lag_ns, measured, 0.99));
  return 0;
}
