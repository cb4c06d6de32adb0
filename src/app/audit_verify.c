/* audit_verify.c: `pipit audit verify`: recomputes the audit tree from the
 * stored entries and checks everything the store keeps about it: each
 * entry's leaf hash, canonical form and sequence, its index columns, the
 * subtree hash cache, the head, every stored checkpoint (signature and
 * root) and, with --checkpoint, a checkpoint kept outside.  It reports the
 * first fault by position (exit 1), or says what it checked (exit 0). */
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/clock.h"

#define CHUNK 8192
#define MAX_FAULTS 4096
#define NOWHERE UINT64_MAX /* a fault that concerns no entry in particular */

typedef struct {
  uint64_t lo, hi; /* the entries it concerns, [lo, hi) */
  bool exact;      /* it names one entry */
  char msg[300];
} fault_t;

typedef struct {
  fault_t *v;
  size_t n, total;
} faults_t;

static void fault(faults_t *f, uint64_t lo, uint64_t hi, bool exact, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void fault(faults_t *f, uint64_t lo, uint64_t hi, bool exact, const char *fmt, ...) {
  f->total++;
  if (f->n == MAX_FAULTS) return;
  fault_t *x = &f->v[f->n++];
  x->lo = lo;
  x->hi = hi;
  x->exact = exact;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->msg, sizeof x->msg, fmt, ap);
  va_end(ap);
}

/* A range fault that contains an exact one is explained by it. */
static bool explained(const faults_t *f, const fault_t *x) {
  if (x->exact || x->lo == NOWHERE) return false;
  for (size_t i = 0; i < f->n; i++)
    if (f->v[i].exact && f->v[i].lo >= x->lo && f->v[i].lo < x->hi) return true;
  return false;
}

static int fault_order(const void *a, const void *b) {
  const fault_t *x = a, *y = b;
  if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
  uint64_t wx = x->hi - x->lo, wy = y->hi - y->lo;
  return wx < wy ? -1 : wx > wy;
}

/* A signed checkpoint, as its note says (the note is what was signed). */
typedef struct {
  uint64_t size;
  unsigned char root[PP_MERKLE_HASH_LEN];
  int64_t seq, time;
} cp_t;

static int cp_order(const void *a, const void *b) {
  const cp_t *x = a, *y = b;
  return x->size < y->size ? -1 : x->size > y->size;
}

static void b64(const unsigned char h[PP_MERKLE_HASH_LEN], char out[48]) {
  sodium_bin2base64(out, 48, h, PP_MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
}

/* Reads every stored checkpoint; those whose signature or fields do not
 * hold are faults.  Returns them sorted by tree size. */
static cp_t *load_checkpoints(const pp_audit_cli_t *cli, const pp_checkpoint_verifier_t *v,
                              faults_t *f, size_t *n_out) {
  size_t cap = 64, n = 0;
  cp_t *cps = malloc(cap * sizeof *cps);
  int64_t after = 0;
  for (bool more = cps != NULL; more;) {
    pp_arena_t a;
    pp_arena_init(&a, 0);
    pp_audit_checkpoint_t *rows;
    size_t got = 0;
    if (pp_store_audit_checkpoint_list(cli->store, &a, after, 256, &rows, &got)) {
      fault(f, NOWHERE, NOWHERE, false, "the stored checkpoints cannot be read");
      got = 0;
    }
    for (size_t i = 0; i < got; i++) {
      pp_checkpoint_t c;
      after = rows[i].seq;
      if (pp_checkpoint_open(v, rows[i].note, strlen(rows[i].note), &c) != PP_OK) {
        fault(f, NOWHERE, NOWHERE, false,
              "stored checkpoint #%" PRId64
              " is not signed by the log's key %s (or is not a "
              "checkpoint)",
              rows[i].seq, v->name);
        continue;
      }
      if (c.size != rows[i].tree_size || memcmp(c.root, rows[i].root, sizeof c.root) != 0 ||
          c.timestamp != rows[i].time)
        fault(f, NOWHERE, NOWHERE, false,
              "stored checkpoint #%" PRId64 ": its columns disagree with its signed note",
              rows[i].seq);
      if (strcmp(c.origin, cli->origin) != 0)
        fault(f, NOWHERE, NOWHERE, false,
              "stored checkpoint #%" PRId64 " is of the log \"%s\", not \"%s\"", rows[i].seq,
              c.origin, cli->origin);
      if (n == cap) {
        cp_t *more_cps = realloc(cps, 2 * cap * sizeof *cps);
        if (!more_cps) break;
        cps = more_cps;
        cap *= 2;
      }
      cps[n++] = (cp_t){c.size, {0}, rows[i].seq, c.timestamp};
      memcpy(cps[n - 1].root, c.root, sizeof c.root);
    }
    pp_arena_cleanup(&a);
    more = got == 256;
  }
  if (cps) qsort(cps, n, sizeof *cps, cp_order);
  *n_out = n;
  return cps;
}

/* Reads and checks the checkpoint kept outside (--checkpoint FILE). */
static pp_err_t load_outside(const char *path, const pp_checkpoint_verifier_t *v,
                             const char *origin, cp_t *out) {
  FILE *fp = fopen(path, "r");
  if (!fp) {
    fprintf(stderr, "pipit audit: cannot read %s\n", path);
    return PP_ERR_IO;
  }
  char *note = malloc(PP_NOTE_MAX_LEN + 1);
  size_t len = note ? fread(note, 1, PP_NOTE_MAX_LEN + 1, fp) : 0;
  fclose(fp);
  pp_checkpoint_t c;
  pp_err_t e =
      note && len <= PP_NOTE_MAX_LEN ? pp_checkpoint_open(v, note, len, &c) : PP_ERR_BAD_REQUEST;
  free(note);
  if (e) {
    fprintf(stderr, "pipit audit: %s is not a checkpoint signed by the log's key %s\n", path,
            v->name);
    return e;
  }
  if (strcmp(c.origin, origin) != 0) {
    fprintf(stderr, "pipit audit: %s is a checkpoint of \"%s\", not of \"%s\"\n", path, c.origin,
            origin);
    return PP_ERR_BAD_REQUEST;
  }
  *out = (cp_t){c.size, {0}, 0, c.timestamp};
  memcpy(out->root, c.root, sizeof c.root);
  return PP_OK;
}

static int str_order(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which index column disagrees with the leaf, or NULL. */
static const char *index_mismatch(const pp_audit_entry_t *en, const pp_audit_event_t *ev) {
  if (en->time_ms != ev->time_ms) return "time_ms";
  if (strcmp(en->event, pp_audit_kind_name(ev->kind))) return "event";
  if (strcmp(en->principal, ev->principal)) return "principal";
  if (strcmp(en->session, ev->session)) return "session";
  if (strcmp(en->ip, ev->ip)) return "ip";
  if (strcmp(en->account_sid, ev->account_sid)) return "account_sid";
  if (strcmp(en->outcome, ev->outcome)) return "outcome";
  if (en->nresources != ev->nresources) return "resources";
  const char **sorted = malloc((ev->nresources + 1) * sizeof *sorted);
  if (!sorted) return "resources (out of memory)";
  if (ev->nresources) memcpy(sorted, ev->resources, ev->nresources * sizeof *sorted);
  qsort(sorted, ev->nresources, sizeof *sorted, str_order);
  const char *bad = NULL;
  for (size_t i = 0; i < ev->nresources && !bad; i++)
    if (strcmp(sorted[i], en->resources[i])) bad = "resources";
  free(sorted);
  return bad;
}

/* The checks of one stored entry at its place. */
static void check_entry(const pp_audit_entry_t *en, pp_arena_t *a,
                        const unsigned char hash[PP_MERKLE_HASH_LEN], faults_t *f) {
  uint64_t at = (uint64_t)en->seq;
  if (!en->leaf_hash_ok || memcmp(hash, en->leaf_hash, PP_MERKLE_HASH_LEN) != 0)
    fault(f, at, at + 1, true,
          "entry %" PRIu64 " was altered: its bytes do not hash to its stored leaf hash", at);
  pp_audit_event_t ev;
  if (!en->leaf || pp_audit_leaf_decode(en->leaf, en->leaf_len, a, &ev) != PP_OK) {
    fault(f, at, at + 1, true, "entry %" PRIu64 " was altered: it is not a canonical leaf", at);
    return;
  }
  if ((uint64_t)ev.seq != at) {
    fault(f, at, at + 1, true,
          "the entry at position %" PRIu64 " holds sequence %" PRId64
          ": entries were reordered or moved",
          at, ev.seq);
    return;
  }
  const char *col = index_mismatch(en, &ev);
  if (col)
    fault(f, at, at + 1, true,
          "entry %" PRIu64 ": its index column %s disagrees with its leaf (searches would lie)", at,
          col);
}

/* Where the recomputation stands against the signed checkpoints. */
typedef struct {
  faults_t *f;
  const cp_t *cps;
  size_t ncp, ci;      /* the checkpoints by size; the next to compare */
  const cp_t *outside; /* --checkpoint, or NULL */
  const char *outside_path;
  bool outside_checked;
  uint64_t last_good; /* the largest size whose checkpoint matched */
  uint64_t checked;
} cps_state_t;

/* Compares the tree `fr` with every checkpoint of its size (the root is
 * computed only when there is one). */
static void compare_checkpoints(cps_state_t *st, const pp_merkle_frontier_t *fr) {
  unsigned char root[PP_MERKLE_HASH_LEN];
  bool have_root = false;
  for (; st->ci < st->ncp && st->cps[st->ci].size <= fr->size; st->ci++) {
    const cp_t *cp = &st->cps[st->ci];
    if (cp->size < fr->size) continue; /* sizes skipped at a gap: reported there */
    if (!have_root) pp_merkle_frontier_root(fr, root), have_root = true;
    st->checked++;
    if (memcmp(root, cp->root, sizeof root) == 0) {
      st->last_good = fr->size;
      continue;
    }
    fault(st->f, st->last_good, fr->size, false,
          "checkpoint #%" PRId64 " (tree size %" PRIu64
          ") does not match the entries: one in "
          "[%" PRIu64 ", %" PRIu64 ") was altered after it was signed",
          cp->seq, cp->size, st->last_good, fr->size);
  }
  if (st->outside && st->outside->size == fr->size) {
    if (!have_root) pp_merkle_frontier_root(fr, root);
    st->outside_checked = true;
    if (memcmp(root, st->outside->root, sizeof root) != 0)
      fault(st->f, st->last_good, fr->size, false,
            "the checkpoint in %s (tree size %" PRIu64
            ") does not match the entries: one "
            "before position %" PRIu64 " was altered",
            st->outside_path, st->outside->size, fr->size);
  }
}

int pp_audit_cmd_verify(const pp_audit_cli_t *cli, int argc, char **argv) {
  const char *outside_path = NULL, *vkey = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--checkpoint") == 0 && i + 1 < argc)
      outside_path = argv[++i];
    else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
      vkey = argv[++i];
    else
      return 2;
  }
  pp_checkpoint_verifier_t v;
  pp_err_t e = pp_audit_cli_verifier(cli, vkey, &v);
  if (e) {
    fprintf(stderr,
            "pipit audit: no key to check checkpoints with (%s): give --key VKEY, "
            "--key-file, or a data directory with its master key\n",
            pp_err_name(e));
    return 2;
  }
  cp_t outside;
  bool have_outside = outside_path != NULL;
  if (have_outside && load_outside(outside_path, &v, cli->origin, &outside)) return 1;

  faults_t f = {calloc(MAX_FAULTS, sizeof(fault_t)), 0, 0};
  if (!f.v) return 2;
  size_t ncp = 0;
  cp_t *cps = load_checkpoints(cli, &v, &f, &ncp);
  pp_audit_head_t head;
  if ((e = pp_store_audit_head(cli->store, &head))) {
    fprintf(stderr, "pipit audit: cannot read the head: %s\n", pp_err_name(e));
    free(cps);
    free(f.v);
    return 2;
  }

  pp_merkle_frontier_t fr;
  pp_merkle_frontier_init(&fr);
  uint64_t next = 0;
  cps_state_t st = {.f = &f,
                    .cps = cps,
                    .ncp = ncp,
                    .outside = have_outside ? &outside : NULL,
                    .outside_path = outside_path};
  int64_t t0 = pp_clock_now_us();
  compare_checkpoints(&st, &fr); /* the empty tree */
  for (;;) {
    pp_arena_t a;
    pp_arena_init(&a, (size_t)1 << 30);
    pp_audit_entry_t *rows;
    size_t n = 0;
    if ((e = pp_store_audit_scan(cli->store, &a, (int64_t)next, CHUNK, &rows, &n))) {
      pp_arena_cleanup(&a);
      fprintf(stderr, "pipit audit: cannot read the entries: %s\n", pp_err_name(e));
      free(cps);
      free(f.v);
      return 2;
    }
    for (size_t i = 0; i < n; i++) {
      const pp_audit_entry_t *en = &rows[i];
      uint64_t at = (uint64_t)en->seq;
      if (at > next)
        fault(&f, next, next + 1, true,
              "entry %" PRIu64 " is missing: deleted%s (the next stored entry is %" PRIu64 ")",
              next, at - next > 1 ? ", with the ones after it" : "", at);
      next = at + 1;
      unsigned char hash[PP_MERKLE_HASH_LEN];
      pp_merkle_leaf_hash(en->leaf ? (const void *)en->leaf : "", en->leaf_len, hash);
      check_entry(en, &a, hash, &f);
      pp_merkle_hash_t nodes[64];
      unsigned nn = 0;
      pp_merkle_frontier_push(&fr, hash, nodes, &nn);
      for (unsigned k = 0; k < nn; k++) {
        unsigned level = k + 1;
        if (level % PP_STORE_AUDIT_NODE_STRIDE) continue;
        uint64_t idx = (fr.size >> level) - 1;
        unsigned char stored[PP_MERKLE_HASH_LEN];
        pp_err_t ne = pp_store_audit_node(cli->store, level, idx, stored);
        if (ne || memcmp(stored, nodes[k], sizeof stored) != 0)
          fault(&f, idx << level, (idx + 1) << level, false,
                "the stored hash of entries [%" PRIu64 ", %" PRIu64
                ") %s the one recomputed "
                "from them: one of them was altered",
                idx << level, (idx + 1) << level, ne ? "is missing, unlike" : "differs from");
      }
      compare_checkpoints(&st, &fr);
    }
    pp_arena_cleanup(&a);
    if (n < CHUNK) break;
  }
  unsigned char root[PP_MERKLE_HASH_LEN];
  pp_merkle_frontier_root(&fr, root);

  /* The tail: the head and the checkpoints say how long the log was. */
  if (next < head.size)
    fault(&f, next, next + 1, true,
          "the log ends before entry %" PRIu64 " but its head says it has %" PRIu64
          " entries: entries %" PRIu64 "..%" PRIu64 " were deleted (truncated)",
          next, head.size, next, head.size - 1);
  else if (next > head.size)
    fault(&f, head.size, head.size + 1, true,
          "the head says the log has %" PRIu64 " entries but it has %" PRIu64
          ": the head was set back",
          head.size, next);
  else if (memcmp(root, head.root, sizeof root) != 0)
    fault(&f, st.last_good, next, false,
          "the head's root does not match the entries: one in [%" PRIu64 ", %" PRIu64
          ") was altered, or the head was",
          st.last_good, next);
  for (size_t ci = st.ci; ci < ncp; ci++) {
    if (cps[ci].size > next)
      fault(&f, next, next + 1, true,
            "checkpoint #%" PRId64 " covers %" PRIu64 " entries but the log has %" PRIu64
            ": entries %" PRIu64 "..%" PRIu64 " were deleted (truncated)",
            cps[ci].seq, cps[ci].size, next, next, cps[ci].size - 1);
    else /* the frontier fell behind at a gap, reported there */
      fault(&f, st.last_good, cps[ci].size, false,
            "checkpoint #%" PRId64 " (tree size %" PRIu64
            ") cannot match: entries before it "
            "are missing",
            cps[ci].seq, cps[ci].size);
  }
  if (have_outside && !st.outside_checked && outside.size > next)
    fault(&f, next, next + 1, true,
          "the checkpoint in %s covers %" PRIu64 " entries but the log has %" PRIu64
          ": entries %" PRIu64 "..%" PRIu64 " were deleted (truncated)",
          outside_path, outside.size, next, next, outside.size - 1);
  free(cps);

  double secs = (double)(pp_clock_now_us() - t0) / 1e6;
  char rb[48];
  b64(root, rb);
  if (f.total == 0) {
    printf("OK: %" PRIu64 " entries, root %s\n", next, rb);
    printf("every leaf hash, sequence and index column, the subtree hashes, the head and %" PRIu64
           " checkpoint(s) signed by %s match (%.1f s)\n",
           st.checked, v.name, secs);
    if (have_outside)
      printf("the checkpoint in %s (tree size %" PRIu64
             ") matches: the log still holds "
             "everything it covered\n",
             outside_path, outside.size);
    free(f.v);
    return 0;
  }
  /* The first fault by position; ranges that an exact fault explains go. */
  size_t keep = 0;
  for (size_t i = 0; i < f.n; i++)
    if (!explained(&f, &f.v[i])) f.v[keep++] = f.v[i];
  qsort(f.v, keep, sizeof *f.v, fault_order);
  const fault_t *first = &f.v[0];
  if (first->lo == NOWHERE)
    printf("FAULT: %s\n", first->msg);
  else if (first->exact)
    printf("FAULT at entry %" PRIu64 ": %s\n", first->lo, first->msg);
  else
    printf("FAULT in entries %" PRIu64 "..%" PRIu64 ": %s\n", first->lo, first->hi - 1, first->msg);
  for (size_t i = 1; i < keep && i < 10; i++) printf("  then: %s\n", f.v[i].msg);
  printf("%zu fault(s) in all; %" PRIu64 " entries read, root of what is there %s\n", f.total, next,
         rb);
  free(f.v);
  return 1;
}
