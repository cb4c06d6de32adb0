/* checkpoint.h: Ed25519-signed checkpoints of the audit log (DESIGN.md rule
 * 6), as C2SP signed notes (c2sp.org/signed-note) whose text is a C2SP
 * tlog checkpoint (c2sp.org/tlog-checkpoint) with one extension line:
 *
 *   <origin>\n
 *   <tree size, decimal>\n
 *   <base64 root hash>\n
 *   time <Unix seconds, decimal>\n
 *   \n
 *   — <key name> <base64(key id (4, big-endian) || Ed25519 signature (64))>\n
 *
 * The signature covers the text up to and including "time …\n".  Key id =
 * the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key), as
 * in C2SP / Go's golang.org/x/mod/sumdb/note, so standard note tooling can
 * check Pipit's checkpoints.  Names (key names) are 1..PP_LOG_NAME_MAX
 * printable ASCII characters without space or '+'; origins are
 * 1..PP_LOG_NAME_MAX printable ASCII characters (space allowed).
 *
 * Needs sodium_init().  Errors: PP_ERR_INVALID_PARAM for arguments outside
 * the contract (including a too-small output buffer); PP_ERR_BAD_REQUEST
 * for text that is malformed or whose signature does not verify;
 * PP_ERR_NOMEM.  Out-parameters are written only on success. */
#ifndef PP_SECURITY_CHECKPOINT_H
#define PP_SECURITY_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "security/merkle.h"

#define PP_LOG_NAME_MAX 255
#define PP_LOG_SEED_LEN 32 /* Ed25519 seed */
#define PP_LOG_PK_LEN 32   /* Ed25519 public key */
#define PP_LOG_SIG_LEN 64  /* Ed25519 signature */

/* Room for any vkey text with its NUL: name + '+' + 8 hex + '+' + 44. */
#define PP_LOG_VKEY_MAX (PP_LOG_NAME_MAX + 1 + 8 + 1 + 44 + 1)

/* Room for a checkpoint signed by one key, with its NUL. */
#define PP_CHECKPOINT_MAX_LEN 1024

/* Longest signed note pp_note_open / pp_checkpoint_open accept. */
#define PP_NOTE_MAX_LEN 65536

/* What a verifier needs: public, plain data. */
typedef struct {
  char name[PP_LOG_NAME_MAX + 1];
  uint32_t key_id;
  unsigned char pk[PP_LOG_PK_LEN];
} pp_checkpoint_verifier_t;

/* A signing key: opaque, in read-only sodium_malloc memory. */
typedef struct pp_checkpoint_signer pp_checkpoint_signer_t;

/* pp_checkpoint_key_id returns the C2SP key id of the Ed25519 key `pk` named
 * `name` (not checked). */
uint32_t pp_checkpoint_key_id(const char *name, const unsigned char pk[PP_LOG_PK_LEN]);

/* pp_checkpoint_signer_new generates a fresh Ed25519 key pair named `name`; *out is
 * freed with pp_checkpoint_signer_free.  Errors: PP_ERR_INVALID_PARAM (bad name),
 * PP_ERR_NOMEM. */
pp_err_t pp_checkpoint_signer_new(const char *name, pp_checkpoint_signer_t **out);

/* pp_checkpoint_signer_from_seed is pp_checkpoint_signer_new with the key pair derived
 * from `seed` (PP_LOG_SEED_LEN bytes), e.g. pp_kdf_derive(master,
 * PP_KDF_CTX_LOG, 1, seed, 32), so the same seed gives the same key. */
pp_err_t pp_checkpoint_signer_from_seed(const char *name, const unsigned char seed[PP_LOG_SEED_LEN],
                                        pp_checkpoint_signer_t **out);

/* pp_checkpoint_signer_free wipes and frees `s`; NULL is a no-op. */
void pp_checkpoint_signer_free(pp_checkpoint_signer_t *s);

/* pp_checkpoint_signer_verifier returns the public half of `s` (owned by `s`). */
const pp_checkpoint_verifier_t *pp_checkpoint_signer_verifier(const pp_checkpoint_signer_t *s);

/* pp_checkpoint_verifier_format writes the verifier key text
 * "<name>+<8 hex key id>+<base64(0x01 || public key)>" and a NUL into `out`
 * (capacity `cap`; PP_LOG_VKEY_MAX suffices).  Errors:
 * PP_ERR_INVALID_PARAM. */
pp_err_t pp_checkpoint_verifier_format(const pp_checkpoint_verifier_t *v, char *out, size_t cap);

/* pp_checkpoint_verifier_parse reads verifier key text (as written by
 * pp_checkpoint_verifier_format or Go's note.NewVerifier) into *out, checking that
 * the key id matches the name and key.  Errors: PP_ERR_INVALID_PARAM (NULL),
 * PP_ERR_BAD_REQUEST (malformed, unknown algorithm, key id mismatch). */
pp_err_t pp_checkpoint_verifier_parse(const char *vkey, pp_checkpoint_verifier_t *out);

/* ---- Signed notes ------------------------------------------------------ */

/* pp_note_sign writes the signed note `text` (`len` bytes: valid UTF-8,
 * ending in a newline, no control characters but newline) + "\n" + one
 * signature line by `s`, and a NUL, into `out` (capacity `cap`); the length
 * without the NUL goes to *out_len.  Errors: PP_ERR_INVALID_PARAM (bad text,
 * buffer too small). */
pp_err_t pp_note_sign(const pp_checkpoint_signer_t *s, const char *text, size_t len, char *out,
                      size_t cap, size_t *out_len);

/* pp_note_open checks the signed note `note` (`len` bytes, at most
 * PP_NOTE_MAX_LEN) against `v` and writes the length of its signed text
 * (which is note[0 .. *text_len)) to *text_len.  As in Go's note.Open:
 * lines from other keys are skipped, at most 100 signature lines are read,
 * and one line that names `v` (name and key id) but does not verify fails
 * the note.  Errors: PP_ERR_INVALID_PARAM; PP_ERR_BAD_REQUEST (malformed,
 * no signature by `v`, bad signature). */
pp_err_t pp_note_open(const pp_checkpoint_verifier_t *v, const char *note, size_t len,
                      size_t *text_len);

/* ---- Checkpoints ------------------------------------------------------- */

typedef struct {
  char origin[PP_LOG_NAME_MAX + 1];       /* the log's identity, e.g. "pipit.example.com/audit" */
  uint64_t size;                          /* number of leaves */
  unsigned char root[PP_MERKLE_HASH_LEN]; /* MTH of those leaves */
  int64_t timestamp;                      /* Unix seconds when signed, >= 0 */
} pp_checkpoint_t;

/* pp_checkpoint_format writes the checkpoint text (the four lines above,
 * no signature) and a NUL into `out` (capacity `cap`); its length without
 * the NUL goes to *out_len.  Errors: PP_ERR_INVALID_PARAM (bad origin,
 * negative timestamp, buffer too small). */
pp_err_t pp_checkpoint_format(const pp_checkpoint_t *c, char *out, size_t cap, size_t *out_len);

/* pp_checkpoint_parse reads checkpoint text (`len` bytes, no signature
 * block) into *out.  The size has no leading zeros, the root decodes to
 * exactly 32 bytes, the first extension line is "time <seconds>"; further
 * extension lines are allowed and ignored.  It checks no signature: use
 * pp_checkpoint_open for text from outside.  Errors: PP_ERR_INVALID_PARAM,
 * PP_ERR_BAD_REQUEST. */
pp_err_t pp_checkpoint_parse(const char *text, size_t len, pp_checkpoint_t *out);

/* pp_checkpoint_sign formats `c` and signs it with `s` into `out` (capacity
 * `cap`; PP_CHECKPOINT_MAX_LEN suffices), NUL-terminated; the length
 * without the NUL goes to *out_len.  Errors: PP_ERR_INVALID_PARAM. */
pp_err_t pp_checkpoint_sign(const pp_checkpoint_signer_t *s, const pp_checkpoint_t *c, char *out,
                            size_t cap, size_t *out_len);

/* pp_checkpoint_open verifies the signed checkpoint `note` (`len` bytes)
 * with `v` (pp_note_open) and parses its text into *out.  The caller then
 * checks out->origin against the log it expects.  Errors:
 * PP_ERR_INVALID_PARAM, PP_ERR_BAD_REQUEST. */
pp_err_t pp_checkpoint_open(const pp_checkpoint_verifier_t *v, const char *note, size_t len,
                            pp_checkpoint_t *out);

#endif
