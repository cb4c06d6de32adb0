/* audit_events.c: /audit/v1, the audit log as a customer sees it: the
 * events about their account (decoded from the very leaf bytes that were
 * hashed, which come along in base64), inclusion proofs for them,
 * consistency proofs between tree sizes, the latest signed checkpoint and
 * the log's public key (docs/internals/audit.md).  Account credentials
 * only, as for Keys: a standard API key gets 403/20003. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"

/* base64 (standard, padded) of n bytes, in the arena. */
static char *b64(pp_api_req_t *r, const unsigned char *bin, size_t n) {
  size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  char *out = pp_arena_alloc(&r->arena, len);
  if (out) sodium_bin2base64(out, len, bin, n, sodium_base64_VARIANT_ORIGINAL);
  return out;
}

static void kb64(pp_api_req_t *r, pp_jw_t *w, const char *key, const unsigned char *bin, size_t n) {
  char *s = b64(r, bin, n);
  if (!s) w->b->failed = true;
  pp_jw_kstr(w, key, s);
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+') return false;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || v > INT64_MAX) return false;
  *out = v;
  return true;
}

/* The account the request asks about: AccountSid (its own, or a
 * subaccount of it) or the credential's. */
static pp_err_t target_account(pp_api_req_t *r, pp_account_t *acc) {
  const char *sid = pp_form_get(&r->query, "AccountSid");
  if (!sid || !*sid) sid = r->principal.account_sid;
  pp_err_t e = pp_api_account_access(r, sid, acc);
  return e == PP_ERR_NOT_FOUND ? pp_api_fail(r, e, sid) : e;
}

pp_err_t pp_api_audit_decode(pp_api_req_t *r, const pp_audit_entry_t *en, pp_audit_event_t *ev) {
  pp_err_t e =
      en->leaf ? pp_audit_leaf_decode(en->leaf, en->leaf_len, &r->arena, ev) : PP_ERR_BAD_REQUEST;
  if (e == PP_ERR_BAD_REQUEST || (!e && ev->seq != en->seq)) {
    pp_log_error("audit", "entry %" PRId64 " of the audit log is damaged (run pipit audit verify)",
                 en->seq);
    return PP_ERR_CORRUPT;
  }
  return e;
}

static void render_event(pp_api_req_t *r, pp_jw_t *w, const pp_audit_entry_t *en,
                         const pp_audit_event_t *ev) {
  char date[PP_ISO8601_SIZE];
  pp_iso8601(ev->time_ms / 1000, date);
  pp_jw_obj_begin(w);
  pp_jw_kint(w, "sequence", ev->seq);
  pp_jw_kstr(w, "account_sid", ev->account_sid);
  pp_jw_kstr(w, "event_type", pp_audit_kind_name(ev->kind));
  pp_jw_kstr(w, "event_date", date);
  pp_jw_kint(w, "time_ms", ev->time_ms);
  pp_jw_kstr(w, "actor_kind", pp_audit_principal_name(ev->principal_kind));
  pp_jw_kstr(w, "actor_sid", ev->principal);
  pp_jw_kstr(w, "actor_account_sid", ev->principal_account);
  pp_jw_kstr(w, "source_ip_address", ev->ip);
  pp_jw_kstr(w, "user_agent", ev->user_agent);
  pp_jw_kstr(w, "session_id", ev->session);
  pp_jw_kstr(w, "request", ev->request);
  pp_jw_key(w, "resource_sids");
  pp_jw_arr_begin(w);
  for (size_t i = 0; i < ev->nresources; i++) pp_jw_str(w, ev->resources[i]);
  pp_jw_arr_end(w);
  pp_jw_kstr(w, "outcome", ev->outcome);
  kb64(r, w, "leaf", en->leaf, en->leaf_len);
  kb64(r, w, "leaf_hash", en->leaf_hash, sizeof en->leaf_hash);
  const char *url =
      pp_arena_printf(&r->arena, "%s/audit/v1/Events/%" PRId64, r->api->public_url, ev->seq);
  pp_jw_kstr(w, "url", url);
  pp_jw_key(w, "links");
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "proof", url ? pp_arena_printf(&r->arena, "%s/Proof", url) : NULL);
  pp_jw_obj_end(w);
  pp_jw_obj_end(w);
}

pp_err_t pp_api_audit_page(pp_api_req_t *r, pp_audit_filter_t *f, pp_audit_entry_t **rows,
                           size_t *n, bool *more) {
  if (f->page.before_seq == 1) f->page.limit = 0; /* nothing before sequence 0 */
  if (f->page.before_seq) f->page.before_seq--;
  if (f->page.after_seq) f->page.after_seq--;
  return f->page.limit ? pp_store_audit_list(r->api->store, &r->arena, f, rows, n, more) : PP_OK;
}

/* GET /audit/v1/Events: AccountSid, EventType, StartDate, EndDate (ISO 8601
 * date or date-time; EndDate exclusive), PageSize, PageToken.  Page tokens
 * carry sequence + 1 (sequences start at 0). */
pp_err_t pp_api_audit_event_list(pp_api_req_t *r) {
  pp_err_t e = pp_api_need_account_credential(r);
  pp_account_t acc;
  if (!e) e = target_account(r, &acc);
  pp_api_page_t pg;
  if (!e) e = pp_api_page_parse(r, &pg);
  if (e) return e;
  pp_audit_filter_t f = {.account_sid = acc.sid, .page = pg.req};
  f.event = pp_form_get(&r->query, "EventType");
  pp_audit_kind_t kind;
  if (f.event && !pp_audit_kind_parse(f.event, &kind))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "EventType is not an audit event type");
  static const char *const names[] = {"AccountSid", "EventType", "StartDate", "EndDate"};
  for (int i = 2; i < 4; i++) {
    const char *v = pp_form_get(&r->query, names[i]);
    int64_t t;
    if (!v) continue;
    if (!pp_parse_iso8601(v, &t))
      return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                         pp_arena_printf(&r->arena, "%s must be an ISO 8601 date", names[i]));
    if (i == 2) {
      f.has_from = true;
      f.from_ms = t * 1000;
    } else {
      f.has_until = true;
      f.until_ms = t * 1000;
    }
  }
  pp_audit_entry_t *rows = NULL;
  size_t n = 0;
  bool more = false;
  if ((e = pp_api_audit_page(r, &f, &rows, &n, &more))) return e;
  char *filters = pp_api_filter_query(r, names, 4);
  char *url = pp_arena_printf(&r->arena, "%s/audit/v1/Events", r->api->public_url);
  if (!filters || !url) return PP_ERR_NOMEM;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, "events");
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    pp_audit_event_t ev;
    if ((e = pp_api_audit_decode(r, &rows[i], &ev))) return e;
    render_event(r, &w, &rows[i], &ev);
  }
  pp_jw_arr_end(&w);
  pp_api_meta_envelope(r, &w, "events", url, filters, &pg, n, more, n ? rows[0].seq + 1 : 0,
                       n ? rows[n - 1].seq + 1 : 0);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* An event as stored, and decoded. */
typedef struct {
  pp_audit_entry_t en;
  pp_audit_event_t ev;
} loaded_event_t;

/* Event r->params[0], if it is about an account the credential reaches. */
static pp_err_t load_event(pp_api_req_t *r, loaded_event_t *out) {
  uint64_t seq;
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  if (!parse_u64(r->params[0], &seq)) return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  e = pp_store_audit_get(r->api->store, &r->arena, (int64_t)seq, &out->en);
  if (!e) e = pp_api_audit_decode(r, &out->en, &out->ev);
  pp_account_t acc;
  if (!e && (!out->ev.account_sid[0] || pp_api_account_access(r, out->ev.account_sid, &acc)))
    e = PP_ERR_NOT_FOUND;
  return pp_api_found(r, e);
}

pp_err_t pp_api_audit_event_fetch(pp_api_req_t *r) {
  loaded_event_t x;
  pp_err_t e = load_event(r, &x);
  if (e) return e;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render_event(r, &w, &x.en, &x.ev);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* The tree size a proof is for: the parameter, else the latest
 * checkpoint's size when it covers `above`, else the committed size.  The
 * latest checkpoint is returned in *cp (cp->note[0] == 0 when none). */
static pp_err_t proof_size(pp_api_req_t *r, const char *param, uint64_t above, uint64_t *out,
                           pp_audit_checkpoint_t *cp) {
  pp_audit_head_t head;
  pp_err_t e = pp_store_audit_head(r->api->store, &head);
  if (e) return e;
  memset(cp, 0, sizeof *cp);
  e = pp_store_audit_checkpoint_latest(r->api->store, cp);
  if (e && e != PP_ERR_NOT_FOUND) return e;
  const char *v = pp_form_get(&r->query, param);
  uint64_t n = head.size;
  if (v) {
    if (!parse_u64(v, &n) || n > head.size)
      return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                         pp_arena_printf(&r->arena, "%s must be at most the tree size %" PRIu64,
                                         param, head.size));
  } else if (cp->note[0] && cp->tree_size > above) {
    n = cp->tree_size;
  }
  *out = n;
  return PP_OK;
}

/* Answers a proof: two sizes (`leaf_hash` too for an inclusion proof), the
 * hashes, and "checkpoint": the latest note when it is for tree size n
 * (else null), so a client can check the proof against a signed root. */
static pp_err_t respond_proof(pp_api_req_t *r, const char *k1, int64_t v1, const char *k2,
                              uint64_t n, const unsigned char *leaf_hash, const pp_merkle_hash_t *p,
                              size_t count, const pp_audit_checkpoint_t *cp) {
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, k1, v1);
  pp_jw_kint(&w, k2, (int64_t)n);
  if (leaf_hash) kb64(r, &w, "leaf_hash", leaf_hash, PP_MERKLE_HASH_LEN);
  pp_jw_key(&w, "hashes");
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < count; i++) {
    char *h = b64(r, p[i], PP_MERKLE_HASH_LEN);
    if (!h) r->body.failed = true;
    pp_jw_str(&w, h);
  }
  pp_jw_arr_end(&w);
  pp_jw_kstr(&w, "checkpoint", cp->note[0] && cp->tree_size == n ? cp->note : NULL);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* GET /audit/v1/Events/{Sequence}/Proof?TreeSize=N: the audit path of the
 * event's leaf in the tree of N leaves (RFC 9162 2.1.3). */
pp_err_t pp_api_audit_event_proof(pp_api_req_t *r) {
  loaded_event_t x;
  pp_err_t e = load_event(r, &x);
  if (e) return e;
  const pp_audit_entry_t *en = &x.en;
  uint64_t n;
  pp_audit_checkpoint_t *cp = pp_arena_alloc(&r->arena, sizeof *cp);
  if (!cp) return PP_ERR_NOMEM;
  if ((e = proof_size(r, "TreeSize", (uint64_t)en->seq, &n, cp))) return e;
  if (n <= (uint64_t)en->seq)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "TreeSize must be greater than the sequence");
  pp_merkle_hash_t p[PP_MERKLE_MAX_PROOF];
  size_t count = 0;
  if ((e = pp_store_audit_inclusion(r->api->store, (uint64_t)en->seq, n, p, PP_MERKLE_MAX_PROOF,
                                    &count)))
    return e;
  return respond_proof(r, "sequence", en->seq, "tree_size", n, en->leaf_hash, p, count, cp);
}

/* GET /audit/v1/Consistency?FirstTreeSize=M&SecondTreeSize=N: the proof
 * that the tree of M leaves is a prefix of the tree of N (RFC 9162
 * 2.1.4); N defaults to the latest checkpoint's size. */
pp_err_t pp_api_audit_consistency(pp_api_req_t *r) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  uint64_t m, n;
  const char *first = pp_form_get(&r->query, "FirstTreeSize");
  if (!first) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FirstTreeSize");
  pp_audit_checkpoint_t *cp = pp_arena_alloc(&r->arena, sizeof *cp);
  if (!cp) return PP_ERR_NOMEM;
  if (!parse_u64(first, &m) || m == 0)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "FirstTreeSize must be a positive integer");
  if ((e = proof_size(r, "SecondTreeSize", m - 1, &n, cp))) return e;
  if (m > n)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "FirstTreeSize must be at most SecondTreeSize");
  pp_merkle_hash_t p[PP_MERKLE_MAX_PROOF];
  size_t count = 0;
  if ((e = pp_store_audit_consistency(r->api->store, m, n, p, PP_MERKLE_MAX_PROOF, &count)))
    return e;
  return respond_proof(r, "first_tree_size", (int64_t)m, "second_tree_size", n, NULL, p, count, cp);
}

static void render_key(pp_api_req_t *r, pp_jw_t *w) {
  const pp_checkpoint_verifier_t *v = pp_api_audit_verifier(r->api->audit);
  char vkey[PP_LOG_VKEY_MAX], id[9];
  if (pp_checkpoint_verifier_format(v, vkey, sizeof vkey)) w->b->failed = true;
  snprintf(id, sizeof id, "%08x", (unsigned)v->key_id);
  pp_jw_kstr(w, "origin", pp_api_audit_origin(r->api->audit));
  pp_jw_kstr(w, "verifier_key", vkey);
  pp_jw_kstr(w, "key_name", v->name);
  pp_jw_kstr(w, "key_id", id);
  kb64(r, w, "public_key", v->pk, sizeof v->pk);
  pp_jw_kstr(w, "algorithm", "Ed25519");
}

/* GET /audit/v1/Checkpoint: the latest signed checkpoint. */
pp_err_t pp_api_audit_checkpoint(pp_api_req_t *r) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  pp_audit_checkpoint_t *cp = pp_arena_alloc(&r->arena, sizeof *cp);
  if (!cp) return PP_ERR_NOMEM;
  e = pp_store_audit_checkpoint_latest(r->api->store, cp);
  if ((e = pp_api_found(r, e))) return e;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "tree_size", (int64_t)cp->tree_size);
  kb64(r, &w, "root_hash", cp->root, sizeof cp->root);
  pp_jw_kint(&w, "timestamp", cp->time);
  pp_jw_kstr(&w, "checkpoint", cp->note);
  if (r->api->audit) render_key(r, &w);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* GET /audit/v1/Key: the public key that signs the checkpoints. */
pp_err_t pp_api_audit_key(pp_api_req_t *r) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  if (!r->api->audit) return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  render_key(r, &w);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}
