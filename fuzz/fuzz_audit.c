/* fuzz_audit.c: the audit log's parsers of bytes that may come from outside
 * (src/security/audit.h, checkpoint.h): a leaf read back from a database
 * someone may have edited, a checkpoint a customer saved and hands back to
 * `pipit audit verify`.  The first byte picks the parser; the rest is the
 * input.
 *
 * Checked:
 *  - pp_audit_leaf_decode: a leaf that decodes is canonical: encoding the
 *    decoded event gives back exactly the input bytes; its strings hold
 *    only printable ASCII;
 *  - pp_checkpoint_parse: a checkpoint that parses formats to text that
 *    parses to the same origin, size, root and time;
 *  - pp_checkpoint_open under a key made at start: nothing opens but the
 *    one checkpoint that key signed (the seed corpus holds it), and that
 *    one opens to what was signed. */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "fuzz_check.h"
#include "security/audit.h"
#include "security/checkpoint.h"

static pp_checkpoint_signer_t *signer;
static pp_checkpoint_t signed_cp;

/* The seed is fixed so the corpus's signed note stays valid across runs. */
static void setup(void) {
  if (sodium_init() < 0) abort();
  unsigned char seed[PP_LOG_SEED_LEN];
  memset(seed, 7, sizeof seed);
  FUZZ_CHECK(pp_checkpoint_signer_from_seed("fuzz.example/audit", seed, &signer) == PP_OK,
             "signer");
  snprintf(signed_cp.origin, sizeof signed_cp.origin, "fuzz.example/audit");
  signed_cp.size = 12345;
  memset(signed_cp.root, 0xab, sizeof signed_cp.root);
  signed_cp.timestamp = 1764000000;
}

static bool printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return false;
  return true;
}

static void leaf(const uint8_t *d, size_t n) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_event_t ev;
  if (pp_audit_leaf_decode(d, n, &a, &ev) == PP_OK) {
    pp_buf_t b;
    pp_buf_init(&b, 65536);
    FUZZ_CHECK(pp_audit_leaf_encode(&ev, &b) == PP_OK, "a decoded leaf encodes");
    FUZZ_CHECK(b.len == n && memcmp(b.data, d, n) == 0, "a decoded leaf is canonical");
    pp_buf_cleanup(&b);
    FUZZ_CHECK(printable(ev.principal) && printable(ev.account_sid) && printable(ev.ip) &&
                   printable(ev.user_agent) && printable(ev.request),
               "strings are printable ASCII");
    for (size_t i = 0; i < ev.nresources; i++)
      FUZZ_CHECK(printable(ev.resources[i]), "resource %zu printable", i);
  }
  pp_arena_cleanup(&a);
}

static bool same(const pp_checkpoint_t *x, const pp_checkpoint_t *y) {
  return strcmp(x->origin, y->origin) == 0 && x->size == y->size &&
         memcmp(x->root, y->root, sizeof x->root) == 0 && x->timestamp == y->timestamp;
}

static void checkpoint(const uint8_t *d, size_t n) {
  pp_checkpoint_t cp, again;
  if (pp_checkpoint_parse((const char *)d, n, &cp) != PP_OK) return;
  char text[PP_CHECKPOINT_MAX_LEN];
  size_t len = 0;
  FUZZ_CHECK(pp_checkpoint_format(&cp, text, sizeof text, &len) == PP_OK, "formats");
  FUZZ_CHECK(pp_checkpoint_parse(text, len, &again) == PP_OK, "reparses");
  FUZZ_CHECK(same(&cp, &again), "round trip");
}

static void opened(const uint8_t *d, size_t n) {
  pp_checkpoint_t cp;
  if (pp_checkpoint_open(pp_checkpoint_signer_verifier(signer), (const char *)d, n, &cp) != PP_OK)
    return;
  FUZZ_CHECK(same(&cp, &signed_cp), "only the signed checkpoint opens");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!signer) setup();
  if (size < 1) return 0;
  switch (data[0] % 3) {
    case 0:
      leaf(data + 1, size - 1);
      break;
    case 1:
      checkpoint(data + 1, size - 1);
      break;
    default:
      opened(data + 1, size - 1);
      break;
  }
  return 0;
}
