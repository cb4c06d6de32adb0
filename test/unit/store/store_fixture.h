/* store_fixture.h: what the store's unit tests share. */
#ifndef PP_TEST_STORE_FIXTURE_H
#define PP_TEST_STORE_FIXTURE_H

#include <string.h>

#include "core/ids.h"
#include "store/store.h"

/* Writes a new active account into `store`: *acc's other fields as the
 * caller set them, a new sid (its own owner) and a random auth token. */
static inline pp_err_t fixture_account(pp_store_t *store, pp_account_t *acc) {
  pp_sid_new(acc->sid, "AC");
  memcpy(acc->owner_sid, acc->sid, sizeof acc->sid);
  snprintf(acc->status, sizeof acc->status, "active");
  pp_hex_random(acc->auth_token, 16);
  pp_write_t w = {.kind = PP_W_ACCOUNT_INSERT, .u.account = acc};
  return pp_store_write(store, &w);
}

#endif
