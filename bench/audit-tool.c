/* audit-tool.c: pp_audit_bench, the audit log's benchmark (bench/audit.sh).
 *
 *   pp_audit_bench gen DIR N [INTRUDER_EVENTS]
 *       appends N synthetic events to the store in DIR through the store
 *       interface (PP_W_AUDIT writes to the group-commit writer, 16384 in
 *       flight), as pipit serve would: the same leaf encoding, hashing,
 *       frontier, subtree hashes and index rows.  50,000 principals (API keys
 *       and auth tokens) over 20,000 accounts and 30 days; one of them, the
 *       intruder SKbadbadbadbadbadbadbadbadbadbadba, has INTRUDER_EVENTS (10,000) content.read
 * events spread over the whole time, each naming 5 messages of 3 accounts. Prints appends per
 * second. pp_audit_bench checkpoint DIR R signs R checkpoints through the store (forced; each a
 * write that computes the root from the frontier, signs it with Ed25519 and commits), and times the
 * signing alone, with the key pipit serve derives from the store's audit key, so pipit audit
 * verify accepts them. pp_audit_bench search DIR PRINCIPAL times the blast-radius index search
 * alone (pp_store_audit_search).
 *
 * Output lines are "name value unit" for the script to collect. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "security/envelope.h"
#include "store/store.h"

/* A fixed master key: the bench's stores hold no customer content. */
static const unsigned char bench_master[32] = {7, 7, 7, 7};

/* Opens the store of `dir` with DIR/master.key, the key pipit made there
 * (bench/audit.sh runs pipit audit checkpoint first), so the store's audit
 * key opens; without it, with bench_master. */
static pp_err_t open_store(const char *dir, pp_store_t **out) {
  char path[1100], hex[65];
  snprintf(path, sizeof path, "%s/master.key", dir);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(hex, 1, 64, f) : 0;
  if (f) fclose(f);
  hex[n] = '\0';
  unsigned char *mk = sodium_malloc(32);
  if (!mk) return PP_ERR_NOMEM;
  size_t len = 0;
  if (n != 64 || sodium_hex2bin(mk, 32, hex, 64, NULL, &len, NULL) != 0 || len != 32)
    memcpy(mk, bench_master, 32);
  pp_err_t e = pp_store_open(dir, mk, out);
  sodium_free(mk);
  return e;
}

#define WINDOW 16384
#define PRINCIPALS 50000
#define ACCOUNTS 20000
#define DAYS 30
#define INTRUDER "SKbadbadbadbadbadbadbadbadbadbadba"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) { /* xorshift64 */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

typedef struct {
  pp_write_t w;
  pp_audit_event_t ev;
  char res[5][PP_SID_SIZE];
  const char *resp[5];
  char request[96];
} item_t;

/* Event i of n: the intruder's when `intruder`, else ordinary traffic. */
static void make(item_t *it, uint64_t i, uint64_t n, bool intruder, int64_t t0_ms) {
  memset(&it->ev, 0, sizeof it->ev);
  pp_audit_event_t *ev = &it->ev;
  int64_t span = (int64_t)DAYS * 86400 * 1000;
  ev->time_ms = t0_ms + (int64_t)((double)i / (double)n * (double)span);
  uint64_t p = intruder ? 0 : next_rand() % PRINCIPALS;
  uint64_t acc = intruder ? next_rand() % 3 : (p * 2654435761ULL) % ACCOUNTS;
  if (intruder)
    snprintf(ev->principal, sizeof ev->principal, INTRUDER);
  else
    snprintf(ev->principal, sizeof ev->principal, "%s%032" PRIx64, p & 1 ? "SK" : "AC", p);
  ev->principal_kind = ev->principal[0] == 'S' ? PP_AUDIT_BY_KEY : PP_AUDIT_BY_ACCOUNT;
  snprintf(ev->principal_account, sizeof ev->principal_account, "AC%032" PRIx64,
           intruder ? (uint64_t)ACCOUNTS : acc);
  snprintf(ev->account_sid, sizeof ev->account_sid, "AC%032" PRIx64,
           intruder ? (uint64_t)ACCOUNTS + 1 + acc : acc);
  snprintf(ev->ip, sizeof ev->ip, "10.%u.%u.%u", (unsigned)(p >> 16) & 255,
           (unsigned)(p >> 8) & 255, (unsigned)p & 255);
  snprintf(ev->session, sizeof ev->session, "%016" PRIx64 "%016" PRIx64,
           (uint64_t)(p * 11400714819323198485ULL), p + (uint64_t)(ev->time_ms / 86400000));
  snprintf(ev->outcome, sizeof ev->outcome, "ok");
  ev->user_agent = "twilio-node/6.2.0 (linux x64) node/v20.20.2";
  uint64_t r = intruder ? 0 : next_rand() % 100;
  size_t nres = 0;
  if (r < 70) { /* a read: a few messages */
    ev->kind = PP_AUDIT_CONTENT_READ;
    nres = intruder ? 5 : 1 + next_rand() % 3;
    for (size_t k = 0; k < nres; k++)
      snprintf(it->res[k], sizeof it->res[k], "SM%032" PRIx64, next_rand());
  } else if (r < 90) {
    ev->kind = PP_AUDIT_AUTH_SUCCESS;
  } else if (r < 95) {
    ev->kind = PP_AUDIT_AUTH_FAILURE;
    snprintf(ev->outcome, sizeof ev->outcome, "auth");
  } else {
    ev->kind = PP_AUDIT_NUMBER_CREATE;
    nres = 1;
    snprintf(it->res[0], sizeof it->res[0], "PN%032" PRIx64, next_rand());
  }
  for (size_t k = 0; k < nres; k++) it->resp[k] = it->res[k];
  ev->resources = it->resp;
  ev->nresources = nres;
  snprintf(it->request, sizeof it->request, "GET /2010-04-01/Accounts/%s/Messages.json",
           ev->account_sid);
  ev->request = it->request;
  memset(&it->w, 0, sizeof it->w);
  it->w.kind = PP_W_AUDIT;
  it->w.audit = ev;
}

static int gen(const char *dir, uint64_t n, uint64_t intruder_events) {
  pp_store_t *s = NULL;
  if (open_store(dir, &s)) return 1;
  pp_audit_head_t head;
  pp_store_audit_head(s, &head);
  item_t *items = calloc(WINDOW, sizeof *items);
  pp_write_t **ws = calloc(WINDOW, sizeof *ws);
  if (!items || !ws) return 1;
  uint64_t every = intruder_events ? n / intruder_events : 0;
  int64_t t0_ms = (pp_clock_now() - (int64_t)DAYS * 86400) * 1000;
  int64_t start = pp_clock_now_us(), last = start;
  uint64_t last_i = 0;
  size_t failed = 0;
  for (uint64_t i = 0; i < n;) {
    size_t w = n - i < WINDOW ? (size_t)(n - i) : WINDOW;
    for (size_t k = 0; k < w; k++, i++) {
      make(&items[k], i, n, every && i % every == every / 2, t0_ms);
      ws[k] = &items[k].w;
    }
    if (pp_store_write_all(s, ws, w)) return 1;
    for (size_t k = 0; k < w; k++) failed += items[k].w.result != PP_OK;
    int64_t now = pp_clock_now_us();
    if (now - last > 10000000) {
      fprintf(stderr, "  %" PRIu64 " events, %.0f/s since the start, %.0f/s in the last %.0f s\n",
              i, (double)i * 1e6 / (double)(now - start),
              (double)(i - last_i) * 1e6 / (double)(now - last), (double)(now - last) / 1e6);
      last = now;
      last_i = i;
    }
  }
  double secs = (double)(pp_clock_now_us() - start) / 1e6;
  pp_store_stats_t st;
  pp_store_stats(s, &st);
  pp_store_free(s);
  free(items);
  free(ws);
  printf("appended %" PRIu64 " events\n", n);
  printf("append_seconds %.1f s\n", secs);
  printf("appends_per_second %.0f /s\n", (double)n / secs);
  printf("mean_batch %.0f writes\n", st.batches ? (double)st.writes / (double)st.batches : 0.0);
  printf("failed %zu writes\n", failed);
  printf("intruder %s\n", INTRUDER);
  return failed ? 1 : 0;
}

/* The signer pipit serve uses: its seed derived from the store's "audit"
 * key (docs/internals/audit.md, "Checkpoints"). */
static pp_checkpoint_signer_t *signer_for(pp_store_t *s) {
  pp_checkpoint_signer_t *signer = NULL;
  unsigned char *root = sodium_malloc(32), *seed = sodium_malloc(PP_LOG_SEED_LEN);
  if (root && seed && pp_store_named_key(s, "audit", root) == PP_OK &&
      pp_kdf_derive(root, PP_KDF_CTX_LOG, 1, seed, PP_LOG_SEED_LEN) == PP_OK)
    pp_checkpoint_signer_from_seed("pipit/audit", seed, &signer);
  sodium_free(root);
  sodium_free(seed);
  return signer;
}

static int checkpoints(const char *dir, int rounds) {
  pp_store_t *s = NULL;
  if (open_store(dir, &s)) return 1;
  pp_checkpoint_signer_t *signer = signer_for(s);
  if (!signer) return 1;
  int64_t t = pp_clock_now_us();
  pp_audit_checkpoint_req_t cr;
  for (int i = 0; i < rounds; i++) {
    cr = (pp_audit_checkpoint_req_t){
        .signer = signer, .origin = "pipit/audit", .now = pp_clock_now(), .force = true};
    pp_write_t w = {.kind = PP_W_AUDIT_CHECKPOINT, .u.checkpoint = &cr};
    if (pp_store_write(s, &w)) return 1;
  }
  double per_write = (double)(pp_clock_now_us() - t) / rounds / 1000.0;
  pp_checkpoint_t cp = {.size = cr.out.tree_size, .timestamp = cr.out.time};
  snprintf(cp.origin, sizeof cp.origin, "pipit/audit");
  memcpy(cp.root, cr.out.root, sizeof cp.root);
  char note[PP_CHECKPOINT_MAX_LEN];
  size_t len;
  t = pp_clock_now_us();
  for (int i = 0; i < 10000; i++) pp_checkpoint_sign(signer, &cp, note, sizeof note, &len);
  double sign_us = (double)(pp_clock_now_us() - t) / 10000.0;
  printf("tree_size %" PRIu64 " leaves\n", cr.out.tree_size);
  printf("checkpoint_write_ms %.2f ms\n", per_write);
  printf("checkpoint_sign_us %.1f us\n", sign_us);
  fputs(cr.out.note, stdout);
  pp_checkpoint_signer_free(signer);
  pp_store_free(s);
  return 0;
}

static int search(const char *dir, const char *principal) {
  pp_store_t *s = NULL;
  if (open_store(dir, &s)) return 1;
  pp_arena_t a;
  pp_arena_init(&a, (size_t)4 << 30);
  pp_audit_query_t q = {.principal = principal, .until_ms = INT64_MAX};
  pp_audit_entry_t *rows;
  size_t n = 0, res = 0;
  int64_t t = pp_clock_now_us();
  pp_err_t e = pp_store_audit_search(s, &a, &q, &rows, &n);
  double ms = (double)(pp_clock_now_us() - t) / 1000.0;
  for (size_t i = 0; !e && i < n; i++) res += rows[i].nresources;
  printf("search_events %zu events\n", n);
  printf("search_resources %zu sids\n", res);
  printf("search_ms %.1f ms\n", ms);
  pp_arena_cleanup(&a);
  pp_store_free(s);
  return e ? 1 : 0;
}

int main(int argc, char **argv) {
  if (sodium_init() < 0) return 1;
  if (argc >= 4 && strcmp(argv[1], "gen") == 0)
    return gen(argv[2], strtoull(argv[3], NULL, 10),
               argc > 4 ? strtoull(argv[4], NULL, 10) : 10000);
  if (argc == 4 && strcmp(argv[1], "checkpoint") == 0) return checkpoints(argv[2], atoi(argv[3]));
  if (argc == 4 && strcmp(argv[1], "search") == 0) return search(argv[2], argv[3]);
  fputs(
      "usage: pp_audit_bench gen DIR N [INTRUDER_EVENTS] | checkpoint DIR R | "
      "search DIR PRINCIPAL\n",
      stderr);
  return 2;
}
