/* The store's secrets opened into guarded memory (pp_store_open_secret):
 * each thread reuses one guarded buffer for the secret it has open, so a
 * second secret open at once, a secret larger than that buffer, and a
 * secret opened after one was freed must each read back whole and apart;
 * a freed secret's buffer holds zeros; threads each have their own. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"
#include "store_fixture.h"

static char dir[64];
static const unsigned char test_master[32] = {9, 8, 7, 6, 5, 4, 3, 2};
static pp_store_t *store;
static pp_account_t acc;

typedef struct {
  unsigned char *blob;
  size_t len;
  unsigned char plain[5000];
  size_t plain_len;
  char row[PP_SID_SIZE];
} sealed_t;

static void seal(sealed_t *s, size_t len, unsigned char fill) {
  pp_sid_new(s->row, "YF");
  s->plain_len = len;
  for (size_t i = 0; i < len; i++) s->plain[i] = (unsigned char)(fill + i);
  CHECK_EQ_INT(pp_store_seal(store, acc.sid, "verify_factors", "secret", s->row, s->plain, len,
                             &s->blob, &s->len),
               PP_OK);
}

static unsigned char *open_one(const sealed_t *s) {
  unsigned char *out = NULL;
  size_t n = 0;
  CHECK_EQ_INT(pp_store_open_secret(store, acc.sid, "verify_factors", "secret", s->row, s->blob,
                                    s->len, &out, &n),
               PP_OK);
  CHECK(out && n == s->plain_len && memcmp(out, s->plain, n) == 0);
  return out;
}

static void *other_thread(void *arg) {
  sealed_t *s = arg;
  unsigned char *p = open_one(&s[0]);
  unsigned char *q = open_one(&s[1]);
  CHECK(p != q);
  pp_store_secret_free(q);
  pp_store_secret_free(p);
  return p;
}

int main(void) {
  if (sodium_init() < 0) return 1;
  snprintf(dir, sizeof dir, "/tmp/pp-secrets-%d", (int)getpid());
  CHECK_EQ_INT(pp_store_open(dir, test_master, &store), PP_OK);
  CHECK_EQ_INT(fixture_account(store, &acc), PP_OK);

  static sealed_t s[3];
  seal(&s[0], 20, 1);   /* a TOTP seed */
  seal(&s[1], 64, 100); /* another, open at the same time */
  seal(&s[2], 4000, 7); /* larger than the per-thread buffer */

  unsigned char *a = open_one(&s[0]);
  unsigned char *b = open_one(&s[1]); /* the buffer is taken: its own allocation */
  unsigned char *c = open_one(&s[2]);
  CHECK(a != b && b != c && a != c);
  CHECK(memcmp(a, s[0].plain, s[0].plain_len) == 0); /* untouched by the others */
  pp_store_secret_free(a);
  static const unsigned char zero[20];
  CHECK(memcmp(a, zero, sizeof zero) == 0); /* the reused buffer is wiped */
  unsigned char *d = open_one(&s[1]);       /* the buffer again, while b is open */
  CHECK(d == a);
  CHECK(memcmp(b, s[1].plain, s[1].plain_len) == 0);
  pp_store_secret_free(b);
  pp_store_secret_free(c);
  pp_store_secret_free(d);
  pp_store_secret_free(NULL);

  pthread_t t;
  void *theirs = NULL;
  CHECK_EQ_INT(pthread_create(&t, NULL, other_thread, s), 0);
  CHECK_EQ_INT(pthread_join(t, &theirs), 0);
  CHECK(theirs != a); /* another thread, another buffer */

  pp_store_free(store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("store_secrets");
}
