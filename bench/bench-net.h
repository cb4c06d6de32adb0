/* bench-net.h: what bench/pace.c (pp_pace) and bench/e2e-tool.c share:
 * clocks, dying with errno, non-blocking TCP to loopback, epoll interest
 * and writing what is left of a buffer, and reading options from a table.
 * Header only, so that bench/e2e.sh
 * can keep building e2e-tool.c alone with `cc`.  Define BENCH_TOOL (the
 * name die() prints) before including it. */
#ifndef PP_BENCH_NET_H
#define PP_BENCH_NET_H

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline int64_t now_ns(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static inline int64_t mono(void) {
  return now_ns(CLOCK_MONOTONIC);
}
static inline int64_t real(void) {
  return now_ns(CLOCK_REALTIME);
}

static inline void die(const char *what) {
  fprintf(stderr, BENCH_TOOL ": %s: %s\n", what, strerror(errno));
  exit(1);
}

static inline void nonblock(int fd) {
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
}

/* A non-blocking TCP_NODELAY connection to `a` (connected while blocking). */
static inline int connect_nodelay(const struct sockaddr_in *a) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (const struct sockaddr *)a, sizeof *a) != 0) die("connect");
  nonblock(fd);
  return fd;
}

/* Adds (op EPOLL_CTL_ADD) or changes (EPOLL_CTL_MOD) fd's interest: input,
 * and output when `out`; the event carries `idx`. */
static inline void epoll_set(int ep, int op, int fd, uint32_t idx, bool out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = idx};
  if (epoll_ctl(ep, op, fd, &ev) != 0) die(op == EPOLL_CTL_ADD ? "epoll_ctl add" : "epoll_ctl");
}

/* Writes buf[*off..len) while the socket takes it, advancing *off: 0 when
 * all is written, 1 when the socket is full (wait for EPOLLOUT), -1 on an
 * error. */
static inline int send_rest(int fd, const char *buf, size_t len, size_t *off) {
  while (*off < len) {
    ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL);
    if (n > 0) {
      *off += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
    return -1;
  }
  return 0;
}

/* send_rest() of buf[*off..len) on fd, registered in ep as `idx`, then
 * watching for EPOLLOUT exactly while the socket is full (*want_out
 * tracks what is registered): 0 on progress or done, -1 on an error. */
static inline int flush_watch(int ep, int fd, uint32_t idx, const char *buf, size_t len,
                              size_t *off, bool *want_out) {
  int r = send_rest(fd, buf, len, off);
  if (r < 0) return -1;
  if ((r > 0) != *want_out) {
    epoll_set(ep, EPOLL_CTL_MOD, fd, idx, r > 0);
    *want_out = r > 0;
  }
  return 0;
}

/* qsort order of int64_t. */
static inline int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* One command-line option, which always takes a value: --NAME VALUE, and
 * -SHORT VALUE too when SHORT is not 0.  The value goes to *to, as an int
 * (atoi), an int64_t (atoll), a double (atof) or the string itself. */
typedef enum { OPT_INT, OPT_I64, OPT_DOUBLE, OPT_STR } opt_kind_t;
typedef struct {
  const char *name;
  char short_name;
  opt_kind_t kind;
  void *to;
} opt_t;

#define OPTS_MAX 16

/* Reads argv's options (getopt_long) into the targets of opts[0..n): true
 * when every one was known and had its value; false otherwise (getopt has
 * said why) or when n passes OPTS_MAX. */
static inline bool parse_opts(int argc, char **argv, const opt_t *opts, size_t n) {
  struct option lo[OPTS_MAX + 1] = {{0}};
  char shorts[2 * OPTS_MAX + 1], *s = shorts;
  if (n > OPTS_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    int val = opts[i].short_name ? opts[i].short_name : 256 + (int)i;
    lo[i] = (struct option){opts[i].name, required_argument, NULL, val};
    if (opts[i].short_name) {
      *s++ = opts[i].short_name;
      *s++ = ':';
    }
  }
  *s = '\0';
  int o;
  while ((o = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
    size_t i = 0;
    while (i < n && lo[i].val != o) i++;
    if (i == n) return false;
    switch (opts[i].kind) {
      case OPT_INT:
        *(int *)opts[i].to = atoi(optarg);
        break;
      case OPT_I64:
        *(int64_t *)opts[i].to = atoll(optarg);
        break;
      case OPT_DOUBLE:
        *(double *)opts[i].to = atof(optarg);
        break;
      case OPT_STR:
        *(const char **)opts[i].to = optarg;
        break;
    }
  }
  return true;
}

#endif
