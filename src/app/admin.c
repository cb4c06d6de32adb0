/* admin.c: `pipit admin`: account management on a data directory, safe to
 * run while `pipit serve` uses it (the store takes care of concurrency). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "store/store.h"

static void admin_usage(FILE *f) {
  fputs("usage: pipit admin [--data DIR | --store URL] account create --name NAME [--json]\n",
        f);
}

static int account_create(pp_store_t *store, const char *name, int json) {
  pp_account_t a;
  memset(&a, 0, sizeof a);
  if (strlen(name) >= sizeof a.friendly_name) {
    fputs("pipit admin: --name is at most 64 characters\n", stderr);
    return 2;
  }
  pp_sid_new(a.sid, "AC");
  memcpy(a.owner_sid, a.sid, sizeof a.owner_sid);
  snprintf(a.friendly_name, sizeof a.friendly_name, "%s", name);
  snprintf(a.status, sizeof a.status, "active");
  pp_hex_random(a.auth_token, 16);
  a.date_created = a.date_updated = pp_clock_now();
  pp_write_t w = {.kind = PP_W_ACCOUNT_INSERT, .u.account = &a};
  pp_err_t e = pp_store_write(store, &w);
  if (e) {
    fprintf(stderr, "pipit admin: cannot create the account: %s\n", pp_err_name(e));
    sodium_memzero(&a, sizeof a);
    return 1;
  }
  /* The one time the auth token is shown. */
  if (json) {
    pp_buf_t b;
    pp_buf_init(&b, 0);
    pp_jw_t jw;
    pp_jw_init(&jw, &b);
    pp_jw_obj_begin(&jw);
    pp_jw_kstr(&jw, "sid", a.sid);
    pp_jw_kstr(&jw, "auth_token", a.auth_token);
    pp_jw_kstr(&jw, "friendly_name", a.friendly_name);
    pp_jw_obj_end(&jw);
    if (!pp_buf_status(&b)) printf("%s\n", b.data);
    sodium_memzero(b.data, b.len);
    pp_buf_cleanup(&b);
  } else {
    printf("account sid: %s\nauth token:  %s\n", a.sid, a.auth_token);
  }
  sodium_memzero(&a, sizeof a);
  return 0;
}

int pp_cmd_admin(int argc, char **argv) {
  const char *data = "./pipit-data", *store_url = NULL, *name = NULL;
  int json = 0, i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
      data = argv[++i];
    else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
      store_url = argv[++i];
    else if (strcmp(argv[i], "--help") == 0) {
      admin_usage(stdout);
      return 0;
    } else {
      admin_usage(stderr);
      return 2;
    }
  }
  if (i + 1 >= argc || strcmp(argv[i], "account") != 0 || strcmp(argv[i + 1], "create") != 0) {
    admin_usage(stderr);
    return 2;
  }
  for (i += 2; i < argc; i++) {
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      name = argv[++i];
    else if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else {
      admin_usage(stderr);
      return 2;
    }
  }
  if (!name) {
    admin_usage(stderr);
    return 2;
  }
  unsigned char *mk = pp_master_key_load(data);
  if (!mk) return 1;
  char url[600];
  snprintf(url, sizeof url, "%s%s", store_url ? "" : "sqlite:", store_url ? store_url : data);
  pp_store_t *store = NULL;
  pp_err_t e = pp_store_open(url, &store);
  if (e) {
    fprintf(stderr, "pipit admin: cannot open the store: %s\n", pp_err_name(e));
    sodium_free(mk);
    return 1;
  }
  int rc = account_create(store, name, json);
  pp_store_free(store);
  sodium_free(mk);
  return rc;
}
