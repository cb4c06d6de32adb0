/* checkpoint.c: C2SP signed notes with Ed25519 keys, and the tlog
 * checkpoint text they carry (see checkpoint.h). */
#include "security/checkpoint.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(PP_LOG_SEED_LEN == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(PP_LOG_PK_LEN == crypto_sign_PUBLICKEYBYTES, "public key size");
_Static_assert(PP_LOG_SIG_LEN == crypto_sign_BYTES, "signature size");

#define ALG_ED25519 0x01
#define MAX_SIG_LINES 100

static const char SIG_PREFIX[] = "\xe2\x80\x94 "; /* em dash (U+2014), space */
#define SIG_PREFIX_LEN (sizeof SIG_PREFIX - 1)

/* base64 of key id (4) || signature (64), without NUL. */
#define SIG_B64_LEN \
  (sodium_base64_ENCODED_LEN(4 + PP_LOG_SIG_LEN, sodium_base64_VARIANT_ORIGINAL) - 1)

struct pp_checkpoint_signer {
  pp_checkpoint_verifier_t v;
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

/* ---- Small helpers ----------------------------------------------------- */

/* name_ok: 1..PP_LOG_NAME_MAX bytes of printable ASCII without space or
 * '+' (a subset of what C2SP allows: no Unicode spaces, no '+'). */
static bool name_ok(const char *s, size_t n) {
  if (n == 0 || n > PP_LOG_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f || c == '+') return false;
  }
  return true;
}

/* origin_ok: 1..PP_LOG_NAME_MAX bytes of printable ASCII (space allowed). */
static bool origin_ok(const char *s, size_t n) {
  if (n == 0 || n > PP_LOG_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/* note_text_ok: valid UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF) with no ASCII control characters except newline. */
static bool note_text_ok(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20 && c != '\n') return false;
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t j = 1; j < len; j++) {
      if ((s[i + j] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

/* b64_decode decodes exactly `n` characters of standard, padded base64 into
 * at most `max` bytes; -1 on any error. */
static int b64_decode(const char *b64, size_t n, unsigned char *bin, size_t max, size_t *bin_len) {
  const char *end = NULL;
  if (n == 0) return -1;
  if (sodium_base642bin(bin, max, b64, n, NULL, bin_len, &end, sodium_base64_VARIANT_ORIGINAL) !=
          0 ||
      end != b64 + n)
    return -1;
  return 0;
}

/* b64_syntax_ok: standard base64 of at least 5 bytes (8 or more
 * characters, a multiple of 4, padding only at the end).  Lines of other
 * keys get only this check. */
static bool b64_syntax_ok(const char *s, size_t n) {
  if (n < 8 || n % 4) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (alpha) continue;
    if (c != '=' || i < n - 2 || (i == n - 2 && s[n - 1] != '=')) return false;
  }
  return true;
}

/* parse_u64 reads a decimal without sign or leading zeros from s[0..n). */
static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  if (n == 0 || n > 20 || (n > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* ---- Keys -------------------------------------------------------------- */

uint32_t pp_checkpoint_key_id(const char *name, const unsigned char pk[PP_LOG_PK_LEN]) {
  static const unsigned char sep[2] = {'\n', ALG_ED25519};
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
  crypto_hash_sha256_update(&st, sep, sizeof sep);
  crypto_hash_sha256_update(&st, pk, PP_LOG_PK_LEN);
  crypto_hash_sha256_final(&st, h);
  return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | (uint32_t)h[3];
}

/* signer_make builds a signer from `seed`, or from a fresh one when NULL. */
static pp_err_t signer_make(const char *name, const unsigned char *seed,
                            pp_checkpoint_signer_t **out) {
  if (!name || !out) return PP_ERR_INVALID_PARAM;
  size_t n = strnlen(name, PP_LOG_NAME_MAX + 1);
  if (!name_ok(name, n)) return PP_ERR_INVALID_PARAM;
  pp_checkpoint_signer_t *s = sodium_malloc(sizeof *s);
  if (!s) return PP_ERR_NOMEM;
  memset(s, 0, sizeof *s);
  memcpy(s->v.name, name, n);
  int rc =
      seed ? crypto_sign_seed_keypair(s->v.pk, s->sk, seed) : crypto_sign_keypair(s->v.pk, s->sk);
  if (rc != 0) {
    sodium_free(s);
    return PP_ERR_INTERNAL;
  }
  s->v.key_id = pp_checkpoint_key_id(s->v.name, s->v.pk);
  sodium_mprotect_readonly(s);
  *out = s;
  return PP_OK;
}

pp_err_t pp_checkpoint_signer_new(const char *name, pp_checkpoint_signer_t **out) {
  return signer_make(name, NULL, out);
}

pp_err_t pp_checkpoint_signer_from_seed(const char *name, const unsigned char seed[PP_LOG_SEED_LEN],
                                        pp_checkpoint_signer_t **out) {
  if (!seed) return PP_ERR_INVALID_PARAM;
  return signer_make(name, seed, out);
}

void pp_checkpoint_signer_free(pp_checkpoint_signer_t *s) {
  if (s) sodium_free(s);
}

const pp_checkpoint_verifier_t *pp_checkpoint_signer_verifier(const pp_checkpoint_signer_t *s) {
  return &s->v;
}

pp_err_t pp_checkpoint_verifier_format(const pp_checkpoint_verifier_t *v, char *out, size_t cap) {
  if (!v || !out) return PP_ERR_INVALID_PARAM;
  size_t n = strnlen(v->name, sizeof v->name);
  if (!name_ok(v->name, n)) return PP_ERR_INVALID_PARAM;
  unsigned char key[1 + PP_LOG_PK_LEN];
  key[0] = ALG_ED25519;
  memcpy(key + 1, v->pk, PP_LOG_PK_LEN);
  char b64[sodium_base64_ENCODED_LEN(sizeof key, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
  int w = snprintf(out, cap, "%s+%08" PRIx32 "+%s", v->name, v->key_id, b64);
  if (w < 0 || (size_t)w >= cap) return PP_ERR_INVALID_PARAM;
  return PP_OK;
}

pp_err_t pp_checkpoint_verifier_parse(const char *vkey, pp_checkpoint_verifier_t *out) {
  if (!vkey || !out) return PP_ERR_INVALID_PARAM;
  const char *p1 = strchr(vkey, '+');
  if (!p1) return PP_ERR_BAD_REQUEST;
  const char *p2 = strchr(p1 + 1, '+');
  if (!p2) return PP_ERR_BAD_REQUEST;
  size_t name_len = (size_t)(p1 - vkey);
  if (!name_ok(vkey, name_len)) return PP_ERR_BAD_REQUEST;
  if (p2 - (p1 + 1) != 8) return PP_ERR_BAD_REQUEST;
  uint32_t id = 0;
  for (int i = 1; i <= 8; i++) {
    char c = p1[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = (unsigned)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = (unsigned)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = (unsigned)(c - 'A' + 10);
    } else {
      return PP_ERR_BAD_REQUEST;
    }
    id = id << 4 | d;
  }
  unsigned char key[1 + PP_LOG_PK_LEN];
  size_t key_len = 0;
  if (b64_decode(p2 + 1, strlen(p2 + 1), key, sizeof key, &key_len) != 0 || key_len != sizeof key ||
      key[0] != ALG_ED25519)
    return PP_ERR_BAD_REQUEST;
  pp_checkpoint_verifier_t v;
  memset(&v, 0, sizeof v);
  memcpy(v.name, vkey, name_len);
  memcpy(v.pk, key + 1, PP_LOG_PK_LEN);
  v.key_id = pp_checkpoint_key_id(v.name, v.pk);
  if (v.key_id != id) return PP_ERR_BAD_REQUEST;
  *out = v;
  return PP_OK;
}

/* ---- Signed notes ------------------------------------------------------ */

pp_err_t pp_note_sign(const pp_checkpoint_signer_t *s, const char *text, size_t len, char *out,
                      size_t cap, size_t *out_len) {
  if (!s || !text || !out || !out_len) return PP_ERR_INVALID_PARAM;
  if (len == 0 || text[len - 1] != '\n' || !note_text_ok((const unsigned char *)text, len))
    return PP_ERR_INVALID_PARAM;
  size_t name_len = strlen(s->v.name);
  size_t total = len + 1 + SIG_PREFIX_LEN + name_len + 1 + SIG_B64_LEN + 1;
  if (total >= cap) return PP_ERR_INVALID_PARAM;
  unsigned char blob[4 + PP_LOG_SIG_LEN];
  blob[0] = (unsigned char)(s->v.key_id >> 24);
  blob[1] = (unsigned char)(s->v.key_id >> 16);
  blob[2] = (unsigned char)(s->v.key_id >> 8);
  blob[3] = (unsigned char)s->v.key_id;
  if (crypto_sign_detached(blob + 4, NULL, (const unsigned char *)text, len, s->sk) != 0)
    return PP_ERR_INTERNAL;
  char *p = out;
  memmove(p, text, len); /* text may sit at the start of out */
  p += len;
  *p++ = '\n';
  memcpy(p, SIG_PREFIX, SIG_PREFIX_LEN);
  p += SIG_PREFIX_LEN;
  memcpy(p, s->v.name, name_len);
  p += name_len;
  *p++ = ' ';
  sodium_bin2base64(p, SIG_B64_LEN + 1, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
  p += SIG_B64_LEN;
  *p++ = '\n';
  *p = 0;
  *out_len = (size_t)(p - out);
  return PP_OK;
}

/* last_blank_line returns the offset of the last "\n\n" in s[0..n), or -1. */
static long last_blank_line(const char *s, size_t n) {
  for (size_t i = n; i >= 2; i--)
    if (s[i - 2] == '\n' && s[i - 1] == '\n') return (long)(i - 2);
  return -1;
}

pp_err_t pp_note_open(const pp_checkpoint_verifier_t *v, const char *note, size_t len,
                      size_t *text_len) {
  if (!v || !note || !text_len) return PP_ERR_INVALID_PARAM;
  if (len > PP_NOTE_MAX_LEN || !note_text_ok((const unsigned char *)note, len))
    return PP_ERR_BAD_REQUEST;
  long split = last_blank_line(note, len);
  if (split < 0) return PP_ERR_BAD_REQUEST;
  size_t tlen = (size_t)split + 1; /* the text keeps its final newline */
  const char *sigs = note + tlen + 1, *end = note + len;
  if (sigs == end || end[-1] != '\n') return PP_ERR_BAD_REQUEST;
  size_t vname_len = strlen(v->name);
  int lines = 0;
  bool verified = false;
  while (sigs < end) {
    const char *nl = memchr(sigs, '\n', (size_t)(end - sigs)); /* found: end[-1] is '\n' */
    if (++lines > MAX_SIG_LINES) return PP_ERR_BAD_REQUEST;
    const char *line = sigs;
    size_t line_len = (size_t)(nl - line);
    sigs = nl + 1;
    if (line_len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
      return PP_ERR_BAD_REQUEST;
    line += SIG_PREFIX_LEN;
    line_len -= SIG_PREFIX_LEN;
    const char *sp = memchr(line, ' ', line_len);
    if (!sp) return PP_ERR_BAD_REQUEST;
    size_t name_len = (size_t)(sp - line);
    const char *b64 = sp + 1;
    size_t b64_len = line_len - name_len - 1;
    /* Every line must be well formed; only lines naming our key (name and
     * key id) are decoded in full and judged, so other keys' signatures,
     * of any type and length, pass through as in Go's note.Open. */
    if (!name_ok(line, name_len) || !b64_syntax_ok(b64, b64_len)) return PP_ERR_BAD_REQUEST;
    if (name_len != vname_len || memcmp(line, v->name, name_len) != 0) continue;
    unsigned char head[6];
    size_t head_len = 0;
    if (b64_decode(b64, 8, head, sizeof head, &head_len) != 0 || head_len < 4)
      return PP_ERR_BAD_REQUEST;
    uint32_t id = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 |
                  (uint32_t)head[3];
    if (id != v->key_id) continue; /* same name, another key (an old one, say) */
    unsigned char blob[4 + PP_LOG_SIG_LEN];
    size_t blob_len = 0;
    if (b64_decode(b64, b64_len, blob, sizeof blob, &blob_len) != 0 || blob_len != sizeof blob ||
        crypto_sign_verify_detached(blob + 4, (const unsigned char *)note, tlen, v->pk) != 0)
      return PP_ERR_BAD_REQUEST;
    verified = true;
  }
  if (!verified) return PP_ERR_BAD_REQUEST;
  *text_len = tlen;
  return PP_OK;
}

/* ---- Checkpoints ------------------------------------------------------- */

pp_err_t pp_checkpoint_format(const pp_checkpoint_t *c, char *out, size_t cap, size_t *out_len) {
  if (!c || !out || !out_len || c->timestamp < 0) return PP_ERR_INVALID_PARAM;
  size_t on = strnlen(c->origin, sizeof c->origin);
  if (!origin_ok(c->origin, on)) return PP_ERR_INVALID_PARAM;
  char root[sodium_base64_ENCODED_LEN(PP_MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(root, sizeof root, c->root, PP_MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
  int w = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\ntime %" PRId64 "\n", c->origin, c->size, root,
                   c->timestamp);
  if (w < 0 || (size_t)w >= cap) return PP_ERR_INVALID_PARAM;
  *out_len = (size_t)w;
  return PP_OK;
}

/* next_line returns the line at *p (without its newline) and moves *p past
 * the newline; NULL when no newline is left. */
static const char *next_line(const char **p, const char *end, size_t *len) {
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  if (!nl) return NULL;
  const char *line = *p;
  *len = (size_t)(nl - line);
  *p = nl + 1;
  return line;
}

pp_err_t pp_checkpoint_parse(const char *text, size_t len, pp_checkpoint_t *out) {
  if (!text || !out) return PP_ERR_INVALID_PARAM;
  if (len == 0 || text[len - 1] != '\n') return PP_ERR_BAD_REQUEST;
  const char *p = text, *end = text + len;
  pp_checkpoint_t c;
  memset(&c, 0, sizeof c);
  size_t n;
  const char *line = next_line(&p, end, &n);
  if (!line || !origin_ok(line, n)) return PP_ERR_BAD_REQUEST;
  memcpy(c.origin, line, n);
  if (!(line = next_line(&p, end, &n)) || !parse_u64(line, n, &c.size)) return PP_ERR_BAD_REQUEST;
  size_t root_len = 0;
  if (!(line = next_line(&p, end, &n)) ||
      b64_decode(line, n, c.root, sizeof c.root, &root_len) != 0 || root_len != sizeof c.root)
    return PP_ERR_BAD_REQUEST;
  uint64_t ts;
  if (!(line = next_line(&p, end, &n)) || n < 5 || memcmp(line, "time ", 5) != 0 ||
      !parse_u64(line + 5, n - 5, &ts) || ts > INT64_MAX)
    return PP_ERR_BAD_REQUEST;
  c.timestamp = (int64_t)ts;
  while (p < end) /* further extension lines: non-empty, signed, ignored */
    if (!(line = next_line(&p, end, &n)) || n == 0) return PP_ERR_BAD_REQUEST;
  *out = c;
  return PP_OK;
}

pp_err_t pp_checkpoint_sign(const pp_checkpoint_signer_t *s, const pp_checkpoint_t *c, char *out,
                            size_t cap, size_t *out_len) {
  if (!s || !out || !out_len) return PP_ERR_INVALID_PARAM;
  char text[PP_CHECKPOINT_MAX_LEN];
  size_t tlen = 0;
  pp_err_t e = pp_checkpoint_format(c, text, sizeof text, &tlen);
  if (e != PP_OK) return e;
  return pp_note_sign(s, text, tlen, out, cap, out_len);
}

pp_err_t pp_checkpoint_open(const pp_checkpoint_verifier_t *v, const char *note, size_t len,
                            pp_checkpoint_t *out) {
  if (!v || !note || !out) return PP_ERR_INVALID_PARAM;
  size_t tlen = 0;
  pp_err_t e = pp_note_open(v, note, len, &tlen);
  if (e != PP_OK) return e;
  return pp_checkpoint_parse(note, tlen, out);
}
