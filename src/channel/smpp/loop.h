/* loop.h: what the event loops of the session and the dev SMSC share (a
 * private header of channel/smpp): the monotonic clock they schedule by and
 * the eventfd write that wakes a loop. */
#ifndef PP_CHANNEL_SMPP_LOOP_H
#define PP_CHANNEL_SMPP_LOOP_H

#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* pp_smpp_now_ms returns CLOCK_MONOTONIC in milliseconds. */
static inline int64_t pp_smpp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pp_smpp_wake adds one to the eventfd `efd`, waking the loop that polls
 * it.  The counter cannot overflow in practice; EAGAIN still wakes. */
static inline void pp_smpp_wake(int efd) {
  uint64_t one = 1;
  ssize_t w = write(efd, &one, sizeof one);
  (void)w;
}

#endif
