/* sign.c: X-Twilio-Signature and bodySHA256 with OpenSSL's libcrypto; the
 * URL variants come from url.c. */
#include "hook/sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "hook/url.h"

/* ---- Sorting as JavaScript does ----------------------------------------- */

/* Compares UTF-8 byte strings in the order JavaScript's default sort gives
 * the same strings (UTF-16 code units).  UTF-8 bytes order by code point,
 * which agrees except that UTF-16 puts U+10000 and above (surrogates) before
 * U+E000..U+FFFF: lead bytes F0..F4 against EE..EF.  Where the strings
 * first differ both sit on a character boundary, since what precedes is
 * equal. */
static int js_cmp(const char *a, size_t an, const char *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  for (size_t i = 0; i < n; i++) {
    unsigned x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x == y) continue;
    if ((x == 0xEE || x == 0xEF) && y >= 0xF0) return 1;
    if ((y == 0xEE || y == 0xEF) && x >= 0xF0) return -1;
    return x < y ? -1 : 1;
  }
  return an < bn ? -1 : an > bn;
}

static int param_cmp(const void *pa, const void *pb) {
  const pp_param_t *a = *(const pp_param_t *const *)pa, *b = *(const pp_param_t *const *)pb;
  int c = js_cmp(a->name, strlen(a->name), b->name, strlen(b->name));
  return c ? c : js_cmp(a->value, a->value_len, b->value, b->value_len);
}

static bool same_param(const pp_param_t *a, const pp_param_t *b) {
  return strcmp(a->name, b->name) == 0 && a->value_len == b->value_len &&
         memcmp(a->value, b->value, a->value_len) == 0;
}

/* ---- Signature ----------------------------------------------------------- */

pp_err_t pp_hook_sign(const char *token, const char *url, const pp_param_t *params, size_t n,
                      char out[PP_HOOK_SIG_SIZE]) {
  if (!token || !url || (n && !params)) return PP_ERR_INVALID_PARAM;
  const pp_param_t **order = NULL;
  if (n) {
    if (n > SIZE_MAX / sizeof *order) return PP_ERR_NOMEM;
    order = malloc(n * sizeof *order);
    if (!order) return PP_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) order[i] = &params[i];
    qsort(order, n, sizeof *order, param_cmp);
  }

  pp_err_t e = PP_ERR_INTERNAL;
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  char digest_name[] = "SHA1";
  OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                      OSSL_PARAM_construct_end()};
  /* A zero-length key still needs a non-NULL pointer: NULL means "keep the
   * previous key" to EVP_MAC_init. */
  static const unsigned char empty_key[1];
  size_t tlen = strlen(token);
  const unsigned char *key = tlen ? (const unsigned char *)token : empty_key;
  if (!ctx || !EVP_MAC_init(ctx, key, tlen, prm)) goto done;
  if (!EVP_MAC_update(ctx, (const unsigned char *)url, strlen(url))) goto done;
  for (size_t i = 0; i < n; i++) {
    if (i && same_param(order[i], order[i - 1])) continue; /* a repeated value */
    const pp_param_t *p = order[i];
    if (!EVP_MAC_update(ctx, (const unsigned char *)p->name, strlen(p->name)) ||
        !EVP_MAC_update(ctx, (const unsigned char *)p->value, p->value_len))
      goto done;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t mdlen = 0;
  if (!EVP_MAC_final(ctx, md, &mdlen, sizeof md) || mdlen != 20) goto done;
  char b64[PP_HOOK_SIG_SIZE + 3];
  if (EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen) != PP_HOOK_SIG_LEN) goto done;
  memcpy(out, b64, PP_HOOK_SIG_SIZE);
  OPENSSL_cleanse(md, sizeof md);
  e = PP_OK;
done:
  EVP_MAC_CTX_free(ctx); /* cleanses the keyed state */
  EVP_MAC_free(mac);
  free(order);
  return e;
}

pp_err_t pp_hook_body_sha256(const void *body, size_t len, char out[PP_HOOK_SHA256_HEX_SIZE]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (!body && len) return PP_ERR_INVALID_PARAM;
  if (!EVP_Digest(len ? body : "", len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
    return PP_ERR_INTERNAL;
  for (unsigned i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = '\0';
  return PP_OK;
}

pp_err_t pp_hook_url_with_body_sha256(pp_arena_t *a, const char *url, const void *body, size_t len,
                                      const char **out) {
  char hash[PP_HOOK_SHA256_HEX_SIZE];
  if (!url || strchr(url, '#')) return PP_ERR_INVALID_PARAM;
  pp_err_t e = pp_hook_body_sha256(body, len, hash);
  if (e != PP_OK) return e;
  char *s = pp_arena_printf(a, "%s%cbodySHA256=%s", url, strchr(url, '?') ? '&' : '?', hash);
  if (!s) return PP_ERR_NOMEM;
  *out = s;
  return PP_OK;
}

/* Constant time for a given length; the lengths themselves are public. */
static bool equal_n(const char *expected, size_t en, const char *given, size_t gn) {
  return en == gn && CRYPTO_memcmp(expected, given, en) == 0;
}

bool pp_hook_sig_equal(const char *expected, const char *given) {
  if (!expected || !given) return false;
  return equal_n(expected, strlen(expected), given, strlen(given));
}

/* ---- Validation ------------------------------------------------------------ */

/* twilio-node's withLegacyQuerystring: the URL parsed again, and if it has a
 * non-empty query, that query replaced by its querystring round trip. */
static const char *legacy(pp_arena_t *a, const char *url) {
  pp_hook_url_t u;
  if (pp_hook_url_parse(a, url, &u) != PP_OK) return NULL;
  if (!u.query || !*u.query) return url;
  const char *qs = pp_hook_qs_legacy(a, u.query);
  u.query = NULL;
  const char *base = qs ? pp_hook_url_href(a, &u) : NULL;
  return base ? pp_arena_printf(a, "%s?%s", base, qs) : NULL;
}

pp_err_t pp_hook_url_variants(pp_arena_t *a, const char *url,
                              const char *out[PP_HOOK_URL_VARIANTS]) {
  pp_hook_url_t u;
  pp_err_t e = pp_hook_url_parse(a, url, &u);
  if (e != PP_OK) return e;
  pp_hook_url_t bare = u;
  bare.port = -1;
  const char *v[PP_HOOK_URL_VARIANTS];
  v[0] = pp_hook_url_href(a, &bare);
  v[1] = u.port >= 0 ? pp_hook_url_href(a, &u) : pp_hook_url_with_standard_port(a, &u);
  v[2] = v[0] ? legacy(a, v[0]) : NULL;
  v[3] = v[1] ? legacy(a, v[1]) : NULL;
  for (int i = 0; i < PP_HOOK_URL_VARIANTS; i++)
    if (!v[i]) return PP_ERR_NOMEM;
  memcpy(out, v, sizeof v);
  return PP_OK;
}

bool pp_hook_validate(const char *token, const char *signature, const char *url,
                      const pp_param_t *params, size_t n) {
  if (!token || !signature || !url) return false;
  pp_arena_t a;
  pp_arena_init(&a, 0);
  const char *v[PP_HOOK_URL_VARIANTS];
  bool ok = false;
  if (pp_hook_url_variants(&a, url, v) == PP_OK) {
    for (int i = 0; i < PP_HOOK_URL_VARIANTS && !ok; i++) {
      char sig[PP_HOOK_SIG_SIZE];
      ok = pp_hook_sign(token, v[i], params, n, sig) == PP_OK && pp_hook_sig_equal(sig, signature);
    }
  }
  pp_arena_cleanup(&a);
  return ok;
}

bool pp_hook_validate_body(const void *body, size_t len, const char *hash_hex) {
  char hash[PP_HOOK_SHA256_HEX_SIZE];
  if (!hash_hex || pp_hook_body_sha256(body, len, hash) != PP_OK) return false;
  return pp_hook_sig_equal(hash, hash_hex);
}

/* The first "bodySHA256" of the URL's query, decoded as URLSearchParams
 * does (it may hold a NUL, hence *len); "" when there is none. */
static const char *body_hash_param(pp_arena_t *a, const char *url, size_t *len) {
  pp_hook_url_t u;
  if (pp_hook_url_parse(a, url, &u) != PP_OK) return NULL;
  const char *q = u.query ? u.query : "";
  while (*q) {
    size_t plen = strcspn(q, "&");
    const char *eq = memchr(q, '=', plen);
    size_t nlen = eq ? (size_t)(eq - q) : plen;
    char *name = pp_arena_alloc(a, nlen + 1);
    if (!name) return NULL;
    size_t dn = pp_url_decode(name, q, nlen, 1);
    if (dn == strlen("bodySHA256") && memcmp(name, "bodySHA256", dn) == 0) {
      size_t vlen = eq ? plen - nlen - 1 : 0;
      char *value = pp_arena_alloc(a, vlen + 1);
      if (!value) return NULL;
      *len = pp_url_decode(value, eq ? eq + 1 : q, vlen, 1);
      return value;
    }
    q += plen;
    if (*q) q++;
  }
  *len = 0;
  return "";
}

bool pp_hook_validate_with_body(const char *token, const char *signature, const char *url,
                                const void *body, size_t len) {
  if (!pp_hook_validate(token, signature, url, NULL, 0)) return false;
  pp_arena_t a;
  pp_arena_init(&a, 0);
  char want[PP_HOOK_SHA256_HEX_SIZE];
  size_t hlen = 0;
  const char *hash = body_hash_param(&a, url, &hlen);
  bool ok = hash && pp_hook_body_sha256(body, len, want) == PP_OK &&
            equal_n(want, strlen(want), hash, hlen);
  pp_arena_cleanup(&a);
  return ok;
}
