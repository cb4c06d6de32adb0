/* audit_blast.c: `pipit audit blast-radius`: what one principal, session
 * or source address touched between two times (DESIGN.md rule 7), from the
 * audit log's indexes (principal, time), (session, time), (ip, time) and
 * the resources per entry: no scan of the log. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/clock.h"
#include "core/json.h"

/* A set of strings (open addressing, arena-held text). */
typedef struct {
  const char **slot;
  size_t n, cap;
} strset_t;

static uint64_t fnv(const char *s) {
  uint64_t h = 14695981039346656037ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static bool strset_add(strset_t *set, const char *s) {
  if (!s || !*s) return false;
  if (2 * (set->n + 1) > set->cap) {
    size_t cap = set->cap ? 2 * set->cap : 64;
    const char **slot = calloc(cap, sizeof *slot);
    if (!slot) return false;
    for (size_t i = 0; i < set->cap; i++)
      if (set->slot[i]) {
        size_t j = fnv(set->slot[i]) & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = set->slot[i];
      }
    free(set->slot);
    set->slot = slot;
    set->cap = cap;
  }
  size_t j = fnv(s) & (set->cap - 1);
  for (; set->slot[j]; j = (j + 1) & (set->cap - 1))
    if (strcmp(set->slot[j], s) == 0) return false;
  set->slot[j] = s;
  set->n++;
  return true;
}

static int str_order(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The members, sorted (malloc'd; the strings are the set's). */
static const char **strset_sorted(const strset_t *set) {
  const char **v = malloc((set->n + 1) * sizeof *v);
  if (!v) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < set->cap; i++)
    if (set->slot[i]) v[k++] = set->slot[i];
  qsort(v, k, sizeof *v, str_order);
  return v;
}

/* What the report lists, in this order. */
enum {
  G_ACCOUNTS,
  G_SUBACCOUNTS,
  G_MESSAGES,
  G_NUMBERS,
  G_VERIFY_SERVICES,
  G_ENTITIES,
  G_FACTORS,
  G_FACTORS_REGISTERED,
  G_CHALLENGES,
  G_KEYS,
  G_MESSAGING_SERVICES,
  G_CONFIG,
  G_ACCESS_REQUESTS,
  G_OTHER,
  G_SESSIONS,
  G_SOURCE_IPS,
  G_PRINCIPALS,
  G_CHANGES, /* change requests asked or decided (four eyes) */
  G__COUNT
};
static const char *const group_json[G__COUNT] = {
    "accounts",           "subaccounts", "messages",           "phone_numbers", "verify_services",
    "entities",           "factors",     "factors_registered", "challenges",    "keys",
    "messaging_services", "config",      "access_requests",    "other",         "sessions",
    "source_ips",         "principals",  "change_requests"};
static const char *const group_title[G__COUNT] = {"accounts",
                                                  "subaccounts",
                                                  "messages",
                                                  "phone numbers",
                                                  "Verify services",
                                                  "entities",
                                                  "factors",
                                                  "factors registered",
                                                  "challenges",
                                                  "API keys",
                                                  "Messaging Services",
                                                  "configuration",
                                                  "lockbox access requests",
                                                  "other resources",
                                                  "sessions",
                                                  "source addresses",
                                                  "principals",
                                                  "change requests"};

static int group_of(const char *sid) {
  static const struct {
    const char *type;
    int group;
  } map[] = {{"message", G_MESSAGES},
             {"number", G_NUMBERS},
             {"account", G_ACCOUNTS},
             {"verify_service", G_VERIFY_SERVICES},
             {"entity", G_ENTITIES},
             {"factor", G_FACTORS},
             {"challenge", G_CHALLENGES},
             {"key", G_KEYS},
             {"messaging_service", G_MESSAGING_SERVICES},
             {"config", G_CONFIG},
             {"access_request", G_ACCESS_REQUESTS},
             {"change", G_CHANGES}};
  const char *t = pp_audit_resource_type(sid);
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].type, t) == 0) return map[i].group;
  return G_OTHER;
}

/* ISO 8601 (milliseconds kept) or Unix seconds, to Unix milliseconds. */
static bool parse_time(const char *s, int64_t *ms) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (*s && !*end) {
    *ms = (int64_t)v * 1000;
    return true;
  }
  int64_t t;
  if (!pp_parse_iso8601(s, &t)) return false;
  *ms = t * 1000;
  const char *frac = strchr(s, 'T') ? strchr(strchr(s, 'T'), '.') : NULL;
  for (int scale = 100; frac && scale && frac[1] >= '0' && frac[1] <= '9'; scale /= 10, frac++)
    *ms += (frac[1] - '0') * scale;
  return true;
}

static void iso_ms(int64_t ms, char out[PP_ISO8601_SIZE]) {
  pp_iso8601(ms / 1000, out);
}

int pp_audit_cmd_blast(const pp_audit_cli_t *cli, int argc, char **argv) {
  pp_audit_query_t q = {.since_ms = 0, .until_ms = INT64_MAX};
  bool json = false;
  const char *what = NULL, *key = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--json") == 0) {
      json = true;
      continue;
    }
    if (!v) return 2;
    i++;
    if (strcmp(a, "--principal") == 0)
      q.principal = v, what = "principal", key = v;
    else if (strcmp(a, "--session") == 0)
      q.session = v, what = "session", key = v;
    else if (strcmp(a, "--source-ip") == 0)
      q.ip = v, what = "source_ip", key = v;
    else if (strcmp(a, "--since") == 0   ? !parse_time(v, &q.since_ms)
             : strcmp(a, "--until") == 0 ? !parse_time(v, &q.until_ms)
                                         : true) {
      fprintf(stderr, "pipit audit: bad %s %s\n", a, v);
      return 2;
    }
  }
  if (!!q.principal + !!q.session + !!q.ip != 1) return 2;
  int64_t t0 = pp_clock_now_us();
  pp_arena_t a;
  pp_arena_init(&a, (size_t)4 << 30);
  pp_audit_entry_t *rows;
  size_t n = 0;
  pp_err_t e = pp_store_audit_search(cli->store, &a, &q, &rows, &n);
  if (e) {
    pp_arena_cleanup(&a);
    fprintf(stderr, "pipit audit: the search failed: %s\n", pp_err_name(e));
    return 1;
  }
  strset_t sets[G__COUNT];
  memset(sets, 0, sizeof sets);
  strset_t kinds = {0};
  size_t failures = 0;
  for (size_t i = 0; i < n; i++) {
    const pp_audit_entry_t *en = &rows[i];
    strset_add(&sets[G_SESSIONS], en->session);
    strset_add(&sets[G_SOURCE_IPS], en->ip);
    strset_add(&sets[G_PRINCIPALS], en->principal);
    strset_add(&kinds, en->event);
    if (strcmp(en->outcome, "ok") != 0) { /* tried, refused: nothing touched */
      failures++;
      continue;
    }
    /* A sign-in names its account but touches nothing in it. */
    if (strcmp(en->event, "auth.success") != 0) strset_add(&sets[G_ACCOUNTS], en->account_sid);
    bool registered = strcmp(en->event, "verify.factor_registered") == 0;
    for (size_t k = 0; k < en->nresources; k++) {
      int g = group_of(en->resources[k]);
      strset_add(&sets[g], en->resources[k]);
      if (registered && g == G_FACTORS) strset_add(&sets[G_FACTORS_REGISTERED], en->resources[k]);
    }
  }
  /* Which of the accounts are subaccounts, and whose. */
  const char **accounts = strset_sorted(&sets[G_ACCOUNTS]);
  char **owner = calloc(sets[G_ACCOUNTS].n + 1, sizeof *owner);
  for (size_t i = 0; accounts && owner && i < sets[G_ACCOUNTS].n; i++) {
    pp_account_t acc;
    int which;
    if (pp_store_account_auth(cli->store, accounts[i], NULL, &acc, &which) == PP_OK &&
        strcmp(acc.owner_sid, acc.sid) != 0) {
      strset_add(&sets[G_SUBACCOUNTS], accounts[i]);
      owner[i] = pp_arena_strdup(&a, acc.owner_sid);
    }
    memset(&acc, 0, sizeof acc);
  }
  double ms = (double)(pp_clock_now_us() - t0) / 1000.0;
  char since[PP_ISO8601_SIZE], until[PP_ISO8601_SIZE];
  iso_ms(q.since_ms, since);
  if (q.until_ms == INT64_MAX)
    snprintf(until, sizeof until, "now");
  else
    iso_ms(q.until_ms, until);

  if (json) {
    pp_buf_t b;
    pp_buf_init(&b, (size_t)1 << 30);
    pp_jw_t w;
    pp_jw_init(&w, &b);
    pp_jw_obj_begin(&w);
    pp_jw_key(&w, "query");
    pp_jw_obj_begin(&w);
    pp_jw_kstr(&w, what, key);
    pp_jw_kstr(&w, "since", since);
    pp_jw_kstr(&w, "until", q.until_ms == INT64_MAX ? NULL : until);
    pp_jw_obj_end(&w);
    pp_jw_kint(&w, "events", (int64_t)n);
    pp_jw_kint(&w, "failures", (int64_t)failures);
    pp_jw_key(&w, "event_types");
    pp_jw_arr_begin(&w);
    const char **kv = strset_sorted(&kinds);
    for (size_t i = 0; kv && i < kinds.n; i++) pp_jw_str(&w, kv[i]);
    free(kv);
    pp_jw_arr_end(&w);
    for (int g = 0; g < G__COUNT; g++) {
      const char **v = g == G_ACCOUNTS ? accounts : strset_sorted(&sets[g]);
      pp_jw_key(&w, group_json[g]);
      pp_jw_obj_begin(&w);
      pp_jw_kint(&w, "count", (int64_t)sets[g].n);
      pp_jw_key(&w, "sids");
      pp_jw_arr_begin(&w);
      for (size_t i = 0; v && i < sets[g].n; i++) pp_jw_str(&w, v[i]);
      pp_jw_arr_end(&w);
      if (g == G_ACCOUNTS) {
        pp_jw_key(&w, "owners");
        pp_jw_obj_begin(&w);
        for (size_t i = 0; v && owner && i < sets[g].n; i++)
          if (owner[i]) pp_jw_kstr(&w, v[i], owner[i]);
        pp_jw_obj_end(&w);
      } else {
        free(v);
      }
      pp_jw_obj_end(&w);
    }
    pp_jw_key(&w, "elapsed_ms");
    pp_jw_rawf(&w, "%.1f", ms);
    pp_jw_obj_end(&w);
    if (!pp_buf_status(&b)) printf("%s\n", b.data);
    pp_buf_cleanup(&b);
  } else {
    printf("blast radius of %s %s from %s until %s\n", what, key, since, until);
    printf("%zu audit events (%zu refused), found in %.1f ms\n", n, failures, ms);
    printf("%-20s %8s  %s\n", "what", "count", "SIDs");
    for (int g = 0; g < G__COUNT; g++) {
      const char **v = g == G_ACCOUNTS ? accounts : strset_sorted(&sets[g]);
      printf("%-20s %8zu ", group_title[g], sets[g].n);
      for (size_t i = 0; v && i < sets[g].n; i++) {
        printf(" %s", v[i]);
        if (g == G_ACCOUNTS && owner && owner[i]) printf(" (subaccount of %s)", owner[i]);
        if (i + 1 < sets[g].n) printf("\n%-29s", "");
      }
      putchar('\n');
      if (g != G_ACCOUNTS) free(v);
    }
  }
  free(accounts);
  free(owner);
  for (int g = 0; g < G__COUNT; g++) free(sets[g].slot);
  free(kinds.slot);
  pp_arena_cleanup(&a);
  return 0;
}
