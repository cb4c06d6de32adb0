/* smpp_wire.h: the development SMSC's start and counters, and a raw SMPP
 * peer's socket helpers, for the session and SMSC tests (one thread at a
 * time: the buffers are static).  Every read waits at most 5 s; every write
 * and encode is CHECKed. */
#ifndef PP_TEST_SMPP_WIRE_H
#define PP_TEST_SMPP_WIRE_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "channel/smpp/loop.h"
#include "channel/smpp/smpp_pdu.h"
#include "channel/smpp/smsc.h"
#include "check.h"

static inline bool wire_readable(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, ms) == 1;
}

static inline bool wire_read_full(int fd, uint8_t *b, size_t n) {
  for (size_t got = 0; got < n;) {
    if (!wire_readable(fd, 5000)) return false;
    ssize_t r = recv(fd, b + got, n - got, 0);
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

/* Reads one PDU into *p; false on EOF, timeout or a bad PDU. */
static inline bool wire_read(int fd, pp_smpp_pdu_t *p) {
  static uint8_t buf[PP_SMPP_MAX_PDU_LEN];
  size_t need = 0;
  if (!wire_read_full(fd, buf, 4) || pp_smpp_frame_len(buf, 4, &need) != PP_OK ||
      !wire_read_full(fd, buf + 4, need - 4))
    return false;
  return pp_smpp_pdu_decode(buf, need, p) == PP_OK;
}

static inline void wire_raw(int fd, const void *b, size_t n) {
  CHECK(send(fd, b, n, MSG_NOSIGNAL) == (ssize_t)n);
}

static inline void wire_send(int fd, const pp_smpp_pdu_t *p) {
  static uint8_t buf[PP_SMPP_MAX_PDU_LEN];
  size_t n = 0;
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &n), PP_OK);
  wire_raw(fd, buf, n);
}

/* Starts the development SMSC, with `sysid` and `pw` where `o` names none;
 * a failure is CHECKed and ends the test program `prog` with its report. */
static inline pp_smsc_t *smsc_up_as(pp_smsc_opts_t *o, const char *sysid, const char *pw,
                                    const char *prog) {
  if (!o->system_id) o->system_id = sysid;
  if (!o->password) o->password = pw;
  pp_smsc_t *m = NULL;
  pp_err_t e = pp_smsc_start(o, &m);
  CHECK_EQ_INT(e, PP_OK);
  if (e != PP_OK) exit(check_report(prog));
  return m;
}

static inline pp_smsc_stats_t smsc_st(pp_smsc_t *m) {
  pp_smsc_stats_t st;
  pp_smsc_stats(m, &st);
  return st;
}

#endif
