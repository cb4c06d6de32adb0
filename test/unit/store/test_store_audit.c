/* The store's audit log: appends through the group-commit writer (alone and
 * riding on other writes, all or nothing), the head and its frontier kept
 * in step across two store handles on one database (pipit serve and pipit
 * admin at once), proofs from the stored leaf and subtree hashes checked by
 * merkle.h's verifiers, the node cache, signed checkpoints, searches by
 * principal, session and address, and scans.  Writes without an event are
 * all or nothing too. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"

static char dir[64];

static void rmrf(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

typedef struct {
  pp_write_t w;
  pp_audit_event_t ev;
  const char *res[2];
  char sid[PP_SID_SIZE];
} item_t;

static void make_event(item_t *it, int i) {
  memset(it, 0, sizeof *it);
  it->ev.kind = i % 3 ? PP_AUDIT_CONTENT_READ : PP_AUDIT_AUTH_SUCCESS;
  it->ev.principal_kind = PP_AUDIT_BY_KEY;
  snprintf(it->ev.principal, sizeof it->ev.principal, "SK%032x", i % 7);
  snprintf(it->ev.account_sid, sizeof it->ev.account_sid, "AC%032x", i % 5);
  snprintf(it->ev.ip, sizeof it->ev.ip, "10.0.0.%d", i % 4);
  snprintf(it->ev.session, sizeof it->ev.session, "%032x", i % 11);
  it->ev.time_ms = 1000000 + i;
  pp_sid_new(it->sid, "SM");
  it->res[0] = it->sid;
  it->res[1] = it->sid; /* repeated: kept once */
  it->ev.resources = it->res;
  it->ev.nresources = 2;
  it->w.kind = PP_W_AUDIT;
  it->w.audit = &it->ev;
}

/* Submits n events at once (so the writer batches them) and waits. */
static void append_many(pp_store_t *s, item_t *items, int first, int n) {
  pp_write_t **ws = malloc((size_t)n * sizeof *ws);
  CHECK(ws != NULL);
  for (int i = 0; i < n; i++) {
    make_event(&items[i], first + i);
    ws[i] = &items[i].w;
  }
  CHECK_EQ_INT(pp_store_write_all(s, ws, (size_t)n), PP_OK);
  for (int i = 0; i < n; i++) CHECK_EQ_INT(items[i].w.result, PP_OK);
  free(ws);
}

/* Recomputes every leaf hash from the stored leaf bytes (scan) and returns
 * them; checks the stored hashes and the leaves' seq on the way. */
static pp_merkle_hash_t *leaf_hashes(pp_store_t *s, uint64_t *n_out) {
  size_t cap = 1024, n = 0;
  pp_merkle_hash_t *h = malloc(cap * sizeof *h);
  int64_t from = 0;
  for (;;) {
    pp_arena_t a;
    pp_arena_init(&a, 0);
    pp_audit_entry_t *rows;
    size_t got = 0;
    CHECK_EQ_INT(pp_store_audit_scan(s, &a, from, 300, &rows, &got), PP_OK);
    for (size_t i = 0; i < got; i++) {
      if (n == cap) h = realloc(h, (cap *= 2) * sizeof *h);
      CHECK_EQ_INT(rows[i].seq, (int64_t)n);
      pp_merkle_leaf_hash(rows[i].leaf, rows[i].leaf_len, h[n]);
      CHECK(rows[i].leaf_hash_ok && memcmp(rows[i].leaf_hash, h[n], 32) == 0);
      pp_audit_event_t ev;
      CHECK_EQ_INT(pp_audit_leaf_decode(rows[i].leaf, rows[i].leaf_len, &a, &ev), PP_OK);
      CHECK_EQ_INT(ev.seq, (int64_t)n);
      CHECK_EQ_INT(ev.nresources, rows[i].nresources);
      n++;
    }
    pp_arena_cleanup(&a);
    if (got < 300) break;
    from = (int64_t)n;
  }
  *n_out = n;
  return h;
}

typedef struct {
  pp_merkle_hash_t *h;
} mem_t;

static pp_err_t mem_leaf(void *ctx, uint64_t i, unsigned char out[32]) {
  memcpy(out, ((mem_t *)ctx)->h[i], 32);
  return PP_OK;
}

/* The store's master key (content at rest is sealed under it). */
static const unsigned char test_master[32] = {1, 2, 3, 4, 5, 6, 7, 8};

static void test_log(void) {
  pp_store_t *s = NULL, *t = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  CHECK_EQ_INT(pp_store_open(dir, test_master, &t), PP_OK); /* a second process, as it were */
  pp_audit_head_t head;
  CHECK_EQ_INT(pp_store_audit_head(s, &head), PP_OK);
  CHECK_EQ_INT(head.size, 0);

  enum { N = 700 };
  item_t *items = calloc(N, sizeof *items);
  /* Alternate between the two handles: each must pick up the other's
   * appends before adding its own. */
  append_many(s, items, 0, 300);
  append_many(t, items + 300, 300, 100);
  append_many(s, items + 400, 400, 250);
  append_many(t, items + 650, 650, 50);
  for (int i = 0; i < N; i++) CHECK_EQ_INT(items[i].ev.seq, i);
  CHECK_EQ_STR(items[5].ev.outcome, "ok");

  uint64_t n = 0;
  pp_merkle_hash_t *h = leaf_hashes(s, &n);
  CHECK_EQ_INT(n, N);
  mem_t mem = {h};
  pp_merkle_source_t src = {mem_leaf, NULL, &mem};
  unsigned char want[32], got[32];
  CHECK_EQ_INT(pp_merkle_root(&src, N, want), PP_OK);
  CHECK_EQ_INT(pp_store_audit_head(t, &head), PP_OK);
  CHECK_EQ_INT(head.size, N);
  CHECK(memcmp(head.root, want, 32) == 0);
  CHECK_EQ_INT(pp_store_audit_root(s, N, got), PP_OK);
  CHECK(memcmp(got, want, 32) == 0);
  CHECK_EQ_INT(pp_store_audit_root(s, N + 1, got), PP_ERR_INVALID_PARAM);

  /* The node cache: level 4 index 2 is leaves 32..47; level 8 index 1 is
   * 256..511. */
  unsigned char node[32];
  CHECK_EQ_INT(pp_store_audit_node(s, 4, 2, node), PP_OK);
  mem_t sub = {h + 32};
  pp_merkle_source_t subsrc = {mem_leaf, NULL, &sub};
  CHECK_EQ_INT(pp_merkle_root(&subsrc, 16, got), PP_OK);
  CHECK(memcmp(node, got, 32) == 0);
  sub.h = h + 256;
  CHECK_EQ_INT(pp_store_audit_node(s, 8, 1, node), PP_OK);
  CHECK_EQ_INT(pp_merkle_root(&subsrc, 256, got), PP_OK);
  CHECK(memcmp(node, got, 32) == 0);
  CHECK_EQ_INT(pp_store_audit_node(s, 3, 0, node), PP_ERR_NOT_FOUND);

  /* Proofs from the store match merkle.h over the recomputed leaves and
   * verify. */
  int bad = 0, checked = 0;
  for (uint64_t size = 1; size <= N; size += 37) {
    unsigned char root[32];
    pp_merkle_root(&src, size, root);
    for (uint64_t m = 0; m < size; m += 13) {
      pp_merkle_hash_t p1[PP_MERKLE_MAX_PROOF], p2[PP_MERKLE_MAX_PROOF];
      size_t c1 = 0, c2 = 0;
      if (pp_store_audit_inclusion(t, m, size, p1, PP_MERKLE_MAX_PROOF, &c1) != PP_OK) bad++;
      pp_merkle_inclusion_proof(&src, m, size, p2, PP_MERKLE_MAX_PROOF, &c2);
      if (c1 != c2 || memcmp(p1, p2, c1 * 32) != 0) bad++;
      if (!pp_merkle_verify_inclusion(m, size, h[m], p1, c1, root)) bad++;
      unsigned char old[32];
      pp_merkle_root(&src, m + 1, old);
      if (pp_store_audit_consistency(s, m + 1, size, p1, PP_MERKLE_MAX_PROOF, &c1) != PP_OK) bad++;
      if (!pp_merkle_verify_consistency(m + 1, size, old, root, p1, c1)) bad++;
      checked++;
    }
  }
  CHECK(checked > 100);
  CHECK_EQ_INT(bad, 0);
  size_t cnt;
  pp_merkle_hash_t p[PP_MERKLE_MAX_PROOF];
  CHECK_EQ_INT(pp_store_audit_inclusion(s, 0, N + 1, p, PP_MERKLE_MAX_PROOF, &cnt),
               PP_ERR_INVALID_PARAM);

  /* Searches use the index columns; time bounds are [since, until). */
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_entry_t *rows;
  size_t nr;
  pp_audit_query_t q = {.principal = items[3].ev.principal, .since_ms = 0, .until_ms = INT64_MAX};
  CHECK_EQ_INT(pp_store_audit_search(s, &a, &q, &rows, &nr), PP_OK);
  CHECK_EQ_INT(nr, N / 7);
  CHECK_EQ_INT(rows[0].seq, 3);
  CHECK(rows[0].leaf == NULL);
  CHECK_EQ_INT(rows[0].nresources, 1);
  CHECK_EQ_STR(rows[0].resources[0], items[3].sid);
  q.since_ms = 1000000 + 10;
  q.until_ms = 1000000 + 24;
  CHECK_EQ_INT(pp_store_audit_search(s, &a, &q, &rows, &nr), PP_OK);
  CHECK_EQ_INT(nr, 2); /* 10 and 17 */
  CHECK_EQ_INT(rows[0].seq, 10);
  CHECK_EQ_INT(rows[1].seq, 17);
  pp_audit_query_t qs = {.session = items[4].ev.session, .until_ms = INT64_MAX};
  CHECK_EQ_INT(pp_store_audit_search(s, &a, &qs, &rows, &nr), PP_OK);
  CHECK_EQ_INT(nr, (N + 10) / 11);
  pp_audit_query_t qi = {.ip = "10.0.0.1", .until_ms = INT64_MAX, .limit = 5};
  CHECK_EQ_INT(pp_store_audit_search(s, &a, &qi, &rows, &nr), PP_OK);
  CHECK_EQ_INT(nr, 5);
  pp_audit_query_t none = {.until_ms = 1};
  CHECK_EQ_INT(pp_store_audit_search(s, &a, &none, &rows, &nr), PP_ERR_INVALID_PARAM);

  /* An account's entries, newest first, by kind. */
  pp_audit_filter_t f = {
      .account_sid = items[0].ev.account_sid, .event = "auth.success", .page = {.limit = 10}};
  bool more;
  CHECK_EQ_INT(pp_store_audit_list(s, &a, &f, &rows, &nr, &more), PP_OK);
  CHECK_EQ_INT(nr, 10);
  CHECK(more);
  CHECK_EQ_INT(rows[0].seq, 690); /* i % 5 == 0 and i % 3 == 0, newest */
  CHECK(rows[0].leaf != NULL);
  pp_audit_entry_t one;
  CHECK_EQ_INT(pp_store_audit_get(t, &a, 42, &one), PP_OK);
  CHECK_EQ_INT(one.seq, 42);
  CHECK_EQ_INT(pp_store_audit_get(t, &a, N, &one), PP_ERR_NOT_FOUND);
  pp_arena_cleanup(&a);
  free(h);
  free(items);
  pp_store_free(t);
  pp_store_free(s);
}

/* An event riding on another write: the change and the event are one. */
static void test_audited_writes(void) {
  pp_store_t *s = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  pp_audit_head_t before, after;
  CHECK_EQ_INT(pp_store_audit_head(s, &before), PP_OK);

  pp_account_t acc;
  memset(&acc, 0, sizeof acc);
  pp_sid_new(acc.sid, "AC");
  memcpy(acc.owner_sid, acc.sid, sizeof acc.sid);
  snprintf(acc.status, sizeof acc.status, "active");
  pp_hex_random(acc.auth_token, 16);
  pp_audit_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = PP_AUDIT_ACCOUNT_CREATE;
  ev.principal_kind = PP_AUDIT_BY_CLI;
  snprintf(ev.principal, sizeof ev.principal, "cli:test");
  memcpy(ev.account_sid, acc.sid, sizeof acc.sid);
  pp_write_t w = {.kind = PP_W_ACCOUNT_INSERT, .u.account = &acc, .audit = &ev};
  CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
  CHECK_EQ_INT(ev.seq, (int64_t)before.size);
  CHECK_EQ_STR(ev.outcome, "ok");
  CHECK(ev.time_ms > 0);

  /* A failed change is recorded with its outcome. */
  pp_audit_event_t ev2 = ev;
  ev2.kind = PP_AUDIT_KEY_DELETE;
  ev2.outcome[0] = '\0';
  ev2.time_ms = 0;
  pp_write_t w2 = {.kind = PP_W_KEY_DELETE,
                   .u.ref = {acc.sid, "SK00000000000000000000000000000000"},
                   .audit = &ev2};
  CHECK_EQ_INT(pp_store_write(s, &w2), PP_ERR_NOT_FOUND);
  CHECK_EQ_STR(ev2.outcome, "not_found");
  CHECK_EQ_INT(ev2.seq, (int64_t)before.size + 1);

  /* An event that cannot be appended undoes its change. */
  pp_account_t acc2 = acc;
  pp_sid_new(acc2.sid, "AC");
  pp_audit_event_t bad = ev;
  bad.nresources = PP_AUDIT_MAX_RESOURCES + 1;
  bad.resources = NULL;
  pp_write_t w3 = {.kind = PP_W_ACCOUNT_INSERT, .u.account = &acc2, .audit = &bad};
  CHECK_EQ_INT(pp_store_write(s, &w3), PP_ERR_INVALID_PARAM);
  pp_account_t back;
  CHECK_EQ_INT(pp_store_account_get(s, acc2.sid, &back), PP_ERR_NOT_FOUND);
  CHECK_EQ_INT(pp_store_audit_head(s, &after), PP_OK);
  CHECK_EQ_INT(after.size, before.size + 2);

  /* Two events of one change: appended one after the other, in order. */
  pp_account_t acc3 = acc;
  pp_sid_new(acc3.sid, "AC");
  pp_audit_event_t first = ev, second = ev;
  first.kind = PP_AUDIT_CHALLENGE_APPROVED;
  second.kind = PP_AUDIT_FACTOR_VERIFIED;
  first.outcome[0] = second.outcome[0] = '\0';
  first.time_ms = second.time_ms = 0;
  pp_write_t w4 = {
      .kind = PP_W_ACCOUNT_INSERT, .u.account = &acc3, .audit = &first, .audit_also = &second};
  CHECK_EQ_INT(pp_store_write(s, &w4), PP_OK);
  CHECK_EQ_INT(first.seq, (int64_t)after.size);
  CHECK_EQ_INT(second.seq, (int64_t)after.size + 1);
  CHECK_EQ_STR(second.outcome, "ok");
  /* The second one cannot be appended: neither is, nor the change. */
  pp_account_t acc4 = acc;
  pp_sid_new(acc4.sid, "AC");
  first.outcome[0] = '\0';
  first.time_ms = 0;
  pp_write_t w5 = {
      .kind = PP_W_ACCOUNT_INSERT, .u.account = &acc4, .audit = &first, .audit_also = &bad};
  CHECK_EQ_INT(pp_store_write(s, &w5), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_store_account_get(s, acc4.sid, &back), PP_ERR_NOT_FOUND);
  CHECK_EQ_INT(pp_store_audit_head(s, &after), PP_OK);
  CHECK_EQ_INT(after.size, before.size + 4);
  /* The tree goes on from there: the next event takes the next index. */
  pp_audit_event_t next = ev;
  next.outcome[0] = '\0';
  next.time_ms = 0;
  pp_write_t w6 = {.kind = PP_W_AUDIT, .audit = &next};
  CHECK_EQ_INT(pp_store_write(s, &w6), PP_OK);
  CHECK_EQ_INT(next.seq, (int64_t)before.size + 4);
  pp_audit_head_t head6;
  CHECK_EQ_INT(pp_store_audit_head(s, &head6), PP_OK);
  unsigned char root6[32];
  CHECK_EQ_INT(pp_store_audit_root(s, head6.size, root6), PP_OK);
  CHECK(memcmp(root6, head6.root, 32) == 0);
  after = head6;

  /* Checkpoints: signed, kept, skipped when nothing grew. */
  pp_checkpoint_signer_t *signer = NULL;
  CHECK_EQ_INT(pp_checkpoint_signer_new("test.example/audit", &signer), PP_OK);
  pp_audit_checkpoint_req_t cr = {
      .signer = signer, .origin = "test.example/audit", .now = 1700000000};
  pp_write_t wc = {.kind = PP_W_AUDIT_CHECKPOINT, .u.checkpoint = &cr};
  CHECK_EQ_INT(pp_store_write(s, &wc), PP_OK);
  CHECK(!cr.skipped);
  CHECK_EQ_INT(cr.out.tree_size, after.size);
  CHECK(memcmp(cr.out.root, after.root, 32) == 0);
  pp_checkpoint_t cp;
  CHECK_EQ_INT(pp_checkpoint_open(pp_checkpoint_signer_verifier(signer), cr.out.note,
                                  strlen(cr.out.note), &cp),
               PP_OK);
  CHECK_EQ_INT(cp.size, after.size);
  CHECK(memcmp(cp.root, after.root, 32) == 0);
  CHECK_EQ_INT(cp.timestamp, 1700000000);
  pp_audit_checkpoint_req_t again = {
      .signer = signer, .origin = "test.example/audit", .now = 1700000060};
  pp_write_t wa = {.kind = PP_W_AUDIT_CHECKPOINT, .u.checkpoint = &again};
  CHECK_EQ_INT(pp_store_write(s, &wa), PP_OK);
  CHECK(again.skipped);
  again.force = true;
  CHECK_EQ_INT(pp_store_write(s, &wa), PP_OK);
  CHECK(!again.skipped);
  pp_audit_checkpoint_t latest;
  CHECK_EQ_INT(pp_store_audit_checkpoint_latest(s, &latest), PP_OK);
  CHECK_EQ_INT(latest.seq, again.out.seq);
  CHECK_EQ_INT(latest.time, 1700000060);
  CHECK_EQ_STR(latest.note, again.out.note);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_checkpoint_t *cps;
  size_t ncp;
  CHECK_EQ_INT(pp_store_audit_checkpoint_list(s, &a, 0, 10, &cps, &ncp), PP_OK);
  CHECK_EQ_INT(ncp, 2);
  CHECK_EQ_INT(cps[0].seq, cr.out.seq);
  pp_arena_cleanup(&a);
  pp_checkpoint_signer_free(signer);
  sodium_memzero(&acc, sizeof acc);
  pp_store_free(s);
}

/* A write with no audit event that fails half way leaves nothing: deleting
 * a carrier deletes its routes first, then the carrier; with no such
 * carrier the routes are kept. */
static void test_plain_write_all_or_nothing(void) {
  pp_store_t *s = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  pp_route_rule_t rule = {.prefix = "+1999", .carrier = "ghost", .priority = 1, .date_created = 1};
  pp_write_t put = {.kind = PP_W_ROUTE_PUT, .u.route = &rule};
  CHECK_EQ_INT(pp_store_write(s, &put), PP_OK);
  pp_write_t del = {.kind = PP_W_CARRIER_DELETE, .u.name = "ghost"};
  CHECK_EQ_INT(pp_store_write(s, &del), PP_ERR_NOT_FOUND);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_route_rule_t *rows = NULL;
  size_t n = 0, kept = 0;
  CHECK_EQ_INT(pp_store_route_all(s, &a, &rows, &n), PP_OK);
  for (size_t i = 0; i < n; i++) kept += strcmp(rows[i].carrier, "ghost") == 0;
  CHECK_EQ_INT(kept, 1);
  pp_arena_cleanup(&a);
  pp_store_free(s);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  snprintf(dir, sizeof dir, "/tmp/pp-store-audit-%d", (int)getpid());
  rmrf();
  test_log();
  test_audited_writes();
  test_plain_write_all_or_nothing();
  rmrf();
  return check_report("store_audit");
}
