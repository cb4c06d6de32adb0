/* thread.h: starting and stopping a worker thread that waits on a
 * condition variable. */
#ifndef PP_CORE_THREAD_H
#define PP_CORE_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/* pp_thread_stop sets *stop under `mu`, signals `cv` and joins `thread`:
 * for a worker that reads *stop under `mu` and waits on `cv` between its
 * rounds.  The caller still owns (and destroys) `mu` and `cv`. */
static inline void pp_thread_stop(pthread_t thread, pthread_mutex_t *mu, pthread_cond_t *cv,
                                  bool *stop) {
  pthread_mutex_lock(mu);
  *stop = true;
  pthread_cond_signal(cv);
  pthread_mutex_unlock(mu);
  pthread_join(thread, NULL);
}

/* pp_thread_start initializes `mu` and `cv` and starts `thread` running
 * fn(arg), for a worker stopped with pp_thread_stop.  False when the
 * thread cannot start; `mu` and `cv` are then destroyed again. */
static inline bool pp_thread_start(pthread_t *thread, pthread_mutex_t *mu, pthread_cond_t *cv,
                                   void *(*fn)(void *), void *arg) {
  pthread_mutex_init(mu, NULL);
  pthread_cond_init(cv, NULL);
  if (pthread_create(thread, NULL, fn, arg) == 0) return true;
  pthread_mutex_destroy(mu);
  pthread_cond_destroy(cv);
  return false;
}

#endif
