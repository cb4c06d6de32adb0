/* webauthn.c: a WebAuthn Level 2 relying party's checks (see webauthn.h).
 * clientDataJSON is read with jansson, the attestation object, the
 * authenticator data and COSE keys with libcbor; libfido2 imports the keys
 * (es256_pk_t, eddsa_pk_t) and verifies sign-in signatures
 * (fido_assert_verify); OpenSSL reads attestation certificates and verifies
 * attestation signatures. */
#include "security/webauthn.h"

#include <cbor.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "security/webauthn_int.h"

_Static_assert(PP_WEBAUTHN_ES256 == COSE_ES256, "COSE ES256");
_Static_assert(PP_WEBAUTHN_EDDSA == COSE_EDDSA, "COSE EdDSA");

/* Authenticator data (WebAuthn L2 §6.1): rpIdHash(32) flags(1) signCount(4),
 * then attested credential data when AT, then extensions when ED. */
#define AUTHDATA_HEAD 37
#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_AT 0x40
#define FLAG_ED 0x80
/* Base64url fields longer than this are refused before decoding. */
#define FIELD_MAX 16384

typedef struct {
  const uint8_t *rp_id_hash;
  uint8_t flags;
  uint32_t sign_count;
  /* The attested credential data, when flags has FLAG_AT. */
  const uint8_t *aaguid, *cred_id, *cose_key;
  size_t cred_id_len, cose_key_len;
} authdata_t;

/* A credential public key, imported by libfido2. */
typedef struct {
  int alg;
  es256_pk_t *es256;
  eddsa_pk_t *eddsa;
} pubkey_t;

static void pubkey_cleanup(pubkey_t *k) {
  es256_pk_free(&k->es256);
  eddsa_pk_free(&k->eddsa);
}

static const void *pubkey_ptr(const pubkey_t *k) {
  return k->alg == PP_WEBAUTHN_ES256 ? (const void *)k->es256 : (const void *)k->eddsa;
}

/* ---- Base64url ----------------------------------------------------------- */

pp_err_t pp_webauthn_b64url_decode(const char *text, uint8_t *out, size_t cap, size_t *out_len) {
  size_t n = text ? strlen(text) : 0, len = 0;
  const char *end = NULL;
  if (!text ||
      sodium_base642bin(out, cap, text, n, NULL, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text + n)
    return PP_ERR_WEBAUTHN_ENCODING;
  *out_len = len;
  return PP_OK;
}

/* decode_new decodes a base64url field into a new buffer (*out, the
 * caller frees it). */
static pp_err_t decode_new(const char *text, uint8_t **out, size_t *len) {
  size_t cap = text ? strlen(text) / 4 * 3 + 3 : 0;
  if (!text || cap > FIELD_MAX) return PP_ERR_WEBAUTHN_ENCODING;
  uint8_t *buf = malloc(cap);
  if (!buf) return PP_ERR_NOMEM;
  pp_err_t e = pp_webauthn_b64url_decode(text, buf, cap, len);
  if (e != PP_OK) {
    free(buf);
    return e;
  }
  *out = buf;
  return PP_OK;
}

/* ---- clientDataJSON (§7.1 steps 5-11, §7.2 steps 9-15) ------------------ */

static pp_err_t client_data_fields(const pp_webauthn_rp_t *rp, const uint8_t *challenge,
                                   size_t challenge_len, const json_t *cd, const char *type) {
  const char *t = json_string_value(json_object_get(cd, "type"));
  const char *c = json_string_value(json_object_get(cd, "challenge"));
  const char *o = json_string_value(json_object_get(cd, "origin"));
  const json_t *cross = json_object_get(cd, "crossOrigin");
  if (!t || !c || !o || (cross && !json_is_boolean(cross))) return PP_ERR_WEBAUTHN_ENCODING;
  if (strcmp(t, type) != 0) return PP_ERR_WEBAUTHN_TYPE;
  uint8_t got[PP_WEBAUTHN_CHALLENGE_MAX];
  size_t n = 0;
  if (pp_webauthn_b64url_decode(c, got, sizeof got, &n) != PP_OK || n != challenge_len ||
      sodium_memcmp(got, challenge, n) != 0)
    return PP_ERR_WEBAUTHN_CHALLENGE;
  if (strcmp(o, rp->origin) != 0 || json_is_true(cross)) return PP_ERR_WEBAUTHN_ORIGIN;
  return PP_OK;
}

/* check_client_data checks the client data of a ceremony of `type` and
 * writes its SHA-256 to hash. */
static pp_err_t check_client_data(const pp_webauthn_rp_t *rp, const uint8_t *challenge,
                                  size_t challenge_len, const char *b64, const char *type,
                                  uint8_t hash[crypto_hash_sha256_BYTES]) {
  uint8_t *raw = NULL;
  size_t len = 0;
  pp_err_t e = decode_new(b64, &raw, &len);
  if (e != PP_OK) return e;
  json_t *cd = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
  e = json_is_object(cd) ? client_data_fields(rp, challenge, challenge_len, cd, type)
                         : PP_ERR_WEBAUTHN_ENCODING;
  if (e == PP_OK) crypto_hash_sha256(hash, raw, len);
  json_decref(cd);
  free(raw);
  return e;
}

/* ---- CBOR helpers -------------------------------------------------------- */

static bool get_int(const cbor_item_t *it, int64_t *v) {
  if (!it || !cbor_is_int(it) || cbor_get_int(it) > INT64_MAX) return false;
  int64_t n = (int64_t)cbor_get_int(it);
  *v = cbor_isa_uint(it) ? n : -1 - n;
  return true;
}

static bool is_text(const cbor_item_t *it, const char *s) {
  size_t n = strlen(s);
  return it && cbor_isa_string(it) && cbor_string_is_definite(it) && cbor_string_length(it) == n &&
         memcmp(cbor_string_handle(it), s, n) == 0;
}

/* bytes returns a definite, non-empty byte string's bytes, else NULL. */
static const uint8_t *bytes(const cbor_item_t *it, size_t *len) {
  if (!it || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it)) return NULL;
  *len = cbor_bytestring_length(it);
  return *len ? cbor_bytestring_handle(it) : NULL;
}

/* map_get returns the value under a text key (text not NULL) or an integer
 * key (num) of a map; NULL when the key is absent, or present twice. */
static const cbor_item_t *map_get(const cbor_item_t *map, const char *text, int64_t num) {
  if (!map || !cbor_isa_map(map)) return NULL;
  const struct cbor_pair *p = cbor_map_handle(map);
  const cbor_item_t *found = NULL;
  for (size_t i = 0; i < cbor_map_size(map); i++) {
    int64_t k = 0;
    bool hit = text ? is_text(p[i].key, text) : get_int(p[i].key, &k) && k == num;
    if (hit && found) return NULL;
    if (hit) found = p[i].value;
  }
  return found;
}

static void collection_bound(void *ctx, size_t size) {
  size_t *left = ctx;
  if (size > *left) *left = 0;
}

/* load decodes the CBOR item at the start of d (*read: its length).  It
 * first walks the headers of d, in which no array or map may claim more
 * items than there are bytes left: cbor_load allocates what a header
 * claims, so five bytes could otherwise ask for gigabytes. */
static cbor_item_t *load(const uint8_t *d, size_t n, size_t *read) {
  struct cbor_callbacks cb = cbor_empty_callbacks;
  cb.array_start = cb.map_start = collection_bound;
  for (size_t at = 0; at < n;) {
    size_t left = n - at;
    struct cbor_decoder_result r = cbor_stream_decode(d + at, left, &cb, &left);
    if (left == 0) return NULL;
    if (r.status != CBOR_DECODER_FINISHED) break;
    at += r.read;
  }
  struct cbor_load_result r;
  cbor_item_t *it = n ? cbor_load(d, n, &r) : NULL;
  *read = it ? r.read : 0;
  return it;
}

/* cbor_map_extent returns the length of the CBOR map at the start of d, or
 * 0 when none is there. */
static size_t cbor_map_extent(const uint8_t *d, size_t n) {
  size_t read = 0;
  cbor_item_t *it = load(d, n, &read);
  size_t len = it && cbor_isa_map(it) ? read : 0;
  if (it) cbor_decref(&it);
  return len;
}

/* ---- Authenticator data and COSE keys ------------------------------------ */

/* parse_authdata splits authenticator data, which must end exactly where
 * its last part ends. */
static pp_err_t parse_authdata(const uint8_t *d, size_t n, authdata_t *a) {
  if (n < AUTHDATA_HEAD) return PP_ERR_WEBAUTHN_ENCODING;
  *a = (authdata_t){
      .rp_id_hash = d,
      .flags = d[32],
      .sign_count = (uint32_t)d[33] << 24 | (uint32_t)d[34] << 16 | (uint32_t)d[35] << 8 | d[36]};
  size_t at = AUTHDATA_HEAD;
  if (a->flags & FLAG_AT) {
    if (n - at < 18) return PP_ERR_WEBAUTHN_ENCODING;
    a->aaguid = d + at;
    a->cred_id_len = (size_t)d[at + 16] << 8 | d[at + 17];
    at += 18;
    if (a->cred_id_len == 0 || a->cred_id_len > PP_WEBAUTHN_CRED_ID_MAX || n - at < a->cred_id_len)
      return PP_ERR_WEBAUTHN_ENCODING;
    a->cred_id = d + at;
    at += a->cred_id_len;
    a->cose_key = d + at;
    a->cose_key_len = cbor_map_extent(d + at, n - at);
    if (a->cose_key_len == 0 || a->cose_key_len > PP_WEBAUTHN_COSE_KEY_MAX)
      return PP_ERR_WEBAUTHN_ENCODING;
    at += a->cose_key_len;
  }
  if (a->flags & FLAG_ED) {
    size_t ext = cbor_map_extent(d + at, n - at);
    if (ext == 0) return PP_ERR_WEBAUTHN_ENCODING;
    at += ext;
  }
  return at == n ? PP_OK : PP_ERR_WEBAUTHN_ENCODING;
}

/* check_authdata: rpIdHash, then the UP flag, then UV when required. */
static pp_err_t check_authdata(const pp_webauthn_rp_t *rp, const authdata_t *a, bool uv) {
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)rp->rp_id, strlen(rp->rp_id));
  if (sodium_memcmp(h, a->rp_id_hash, sizeof h) != 0) return PP_ERR_WEBAUTHN_RP_ID;
  if (!(a->flags & FLAG_UP)) return PP_ERR_WEBAUTHN_USER_PRESENT;
  if (uv && !(a->flags & FLAG_UV)) return PP_ERR_WEBAUTHN_USER_VERIFIED;
  return PP_OK;
}

/* cose_import imports a COSE_Key (RFC 8152 §13; RFC 8230 for kty/crv
 * numbers): EC2 P-256 with ES256, or OKP Ed25519 with EdDSA. */
static pp_err_t cose_import(const cbor_item_t *m, pubkey_t *k) {
  int64_t kty = 0, alg = 0, crv = 0;
  size_t xn = 0, yn = 0;
  if (!get_int(map_get(m, NULL, 1), &kty) || !get_int(map_get(m, NULL, 3), &alg))
    return PP_ERR_WEBAUTHN_ENCODING;
  if (alg != PP_WEBAUTHN_ES256 && alg != PP_WEBAUTHN_EDDSA) return PP_ERR_WEBAUTHN_ALGORITHM;
  const uint8_t *x = bytes(map_get(m, NULL, -2), &xn), *y = bytes(map_get(m, NULL, -3), &yn);
  if (!get_int(map_get(m, NULL, -1), &crv) || !x || xn != 32) return PP_ERR_WEBAUTHN_ENCODING;
  int r = FIDO_ERR_INTERNAL;
  k->alg = (int)alg;
  if (alg == PP_WEBAUTHN_ES256) {
    if (kty != 2 || crv != 1 || !y || yn != 32) return PP_ERR_WEBAUTHN_ENCODING;
    uint8_t point[65] = {0x04}; /* uncompressed */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    if ((k->es256 = es256_pk_new())) r = es256_pk_from_ptr(k->es256, point, sizeof point);
  } else {
    if (kty != 1 || crv != 6 || map_get(m, NULL, -3)) return PP_ERR_WEBAUTHN_ENCODING;
    if ((k->eddsa = eddsa_pk_new())) r = eddsa_pk_from_ptr(k->eddsa, x, xn);
  }
  return r == FIDO_OK ? PP_OK : r == FIDO_ERR_INTERNAL ? PP_ERR_NOMEM : PP_ERR_WEBAUTHN_ENCODING;
}

/* cose_parse imports the COSE_Key that is exactly the n bytes at d. */
static pp_err_t cose_parse(const uint8_t *d, size_t n, pubkey_t *k) {
  size_t read = 0;
  cbor_item_t *m = load(d, n, &read);
  pp_err_t e = m && read == n && cbor_isa_map(m) ? cose_import(m, k) : PP_ERR_WEBAUTHN_ENCODING;
  if (m) cbor_decref(&m);
  if (e != PP_OK) pubkey_cleanup(k);
  return e;
}

/* ---- Signatures ----------------------------------------------------------- */

/* verify_sig checks sig over authData || clientDataHash with the
 * credential key (fido_assert_verify; it checks rpIdHash again too). */
static pp_err_t verify_sig(const pp_webauthn_rp_t *rp, const pubkey_t *k, const uint8_t *ad,
                           size_t adn, const uint8_t cdh[crypto_hash_sha256_BYTES],
                           const uint8_t *sig, size_t sn) {
  fido_assert_t *a = fido_assert_new();
  if (!a) return PP_ERR_NOMEM;
  int r = fido_assert_set_count(a, 1);
  if (r == FIDO_OK) r = fido_assert_set_rp(a, rp->rp_id);
  if (r == FIDO_OK) r = fido_assert_set_clientdata_hash(a, cdh, crypto_hash_sha256_BYTES);
  if (r == FIDO_OK) r = fido_assert_set_authdata_raw(a, 0, ad, adn);
  if (r == FIDO_OK) r = fido_assert_set_sig(a, 0, sig, sn);
  if (r == FIDO_OK) r = fido_assert_verify(a, 0, k->alg, pubkey_ptr(k));
  fido_assert_free(&a);
  return r == FIDO_OK ? PP_OK : PP_ERR_WEBAUTHN_SIGNATURE;
}

/* ---- Attestation (§8.2 packed, §8.7 none) --------------------------------- */

static int subject_len(X509 *x, int nid, const ASN1_STRING **v) {
  X509_NAME *s = X509_get_subject_name(x);
  int i = X509_NAME_get_index_by_NID(s, nid, -1);
  if (i < 0 || X509_NAME_get_index_by_NID(s, nid, i) >= 0) return -1;
  *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(s, i));
  return ASN1_STRING_length(*v);
}

/* aaguid_fits: the id-fido-gen-ce-aaguid extension, when present, is not
 * critical and holds the authenticator data's AAGUID. */
static bool aaguid_fits(X509 *x, const uint8_t aaguid[16]) {
  ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
  int i = oid ? X509_get_ext_by_OBJ(x, oid, -1) : -2;
  bool twice = i >= 0 && X509_get_ext_by_OBJ(x, oid, i) >= 0;
  ASN1_OBJECT_free(oid);
  if (i == -1) return true;
  if (i < 0 || twice) return false;
  X509_EXTENSION *ext = X509_get_ext(x, i);
  const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
  const unsigned char *d = ASN1_STRING_get0_data(v);
  return !X509_EXTENSION_get_critical(ext) && ASN1_STRING_length(v) == 18 && d[0] == 0x04 &&
         d[1] == 16 && memcmp(d + 2, aaguid, 16) == 0;
}

/* cert_fits: the requirements of §8.2.1 on a packed attestation
 * certificate: version 3; subject C (two letters), O, OU "Authenticator
 * Attestation" and CN; Basic Constraints present with CA false; the AAGUID
 * extension as aaguid_fits says. */
static bool cert_fits(X509 *x, const uint8_t aaguid[16]) {
  static const char ou_want[] = "Authenticator Attestation";
  const ASN1_STRING *v = NULL, *ou = NULL;
  uint32_t f = X509_get_extension_flags(x);
  return X509_get_version(x) == 2 && subject_len(x, NID_countryName, &v) == 2 &&
         subject_len(x, NID_organizationName, &v) > 0 && subject_len(x, NID_commonName, &v) > 0 &&
         subject_len(x, NID_organizationalUnitName, &ou) == (int)sizeof ou_want - 1 &&
         memcmp(ASN1_STRING_get0_data(ou), ou_want, sizeof ou_want - 1) == 0 &&
         (f & EXFLAG_BCONS) && !(f & EXFLAG_CA) && !(f & EXFLAG_INVALID) && aaguid_fits(x, aaguid);
}

/* x5c_cert: x5c is a non-empty array of DER certificates whose first (the
 * attestation certificate, returned; the caller frees it) fits §8.2.1. */
static X509 *x5c_cert(const cbor_item_t *x5c, const uint8_t aaguid[16]) {
  size_t n = 0, len = 0;
  if (!cbor_isa_array(x5c) || !cbor_array_is_definite(x5c) || !(n = cbor_array_size(x5c)))
    return NULL;
  cbor_item_t **certs = cbor_array_handle(x5c);
  for (size_t i = 0; i < n; i++)
    if (!bytes(certs[i], &len)) return NULL;
  const uint8_t *der = bytes(certs[0], &len), *p = der;
  X509 *x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
  if (x && p == der + len && cert_fits(x, aaguid)) return x;
  X509_free(x);
  return NULL;
}

/* key_fits: an ES256 key is on P-256, an EdDSA key is Ed25519. */
static bool key_fits(EVP_PKEY *key, int alg) {
  char group[32] = "";
  if (alg == PP_WEBAUTHN_EDDSA) return EVP_PKEY_is_a(key, "ED25519");
  return EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_group_name(key, group, sizeof group, NULL) &&
         strcmp(group, "prime256v1") == 0;
}

/* verify_evp checks an attestation signature over authData ||
 * clientDataHash with key.  (OpenSSL, not fido_cred_verify: libfido2
 * refuses authenticator data whose extension outputs were not requested
 * through it, such as the credProtect that Chrome asks of security keys.) */
static bool verify_evp(EVP_PKEY *key, int alg, const uint8_t *ad, size_t adn, const uint8_t *cdh,
                       const uint8_t *sig, size_t sn) {
  uint8_t *m = malloc(adn + crypto_hash_sha256_BYTES);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  bool ok = false;
  if (m && ctx && key_fits(key, alg)) {
    memcpy(m, ad, adn);
    memcpy(m + adn, cdh, crypto_hash_sha256_BYTES);
    ok = EVP_DigestVerifyInit(ctx, NULL, alg == PP_WEBAUTHN_ES256 ? EVP_sha256() : NULL, NULL,
                              key) == 1 &&
         EVP_DigestVerify(ctx, sig, sn, m, adn + crypto_hash_sha256_BYTES) == 1;
  }
  EVP_MD_CTX_free(ctx);
  free(m);
  return ok;
}

/* check_packed: the statement is {alg, sig} (self attestation: alg is the
 * credential's, and so is the key) or {alg, sig, x5c} (the attestation
 * certificate's key). */
static pp_err_t check_packed(const uint8_t *cdh, const cbor_item_t *stmt, const uint8_t *ad,
                             size_t adn, const authdata_t *a, const pubkey_t *k) {
  int64_t alg = 0;
  size_t sn = 0;
  const cbor_item_t *x5c = map_get(stmt, "x5c", 0);
  const uint8_t *sig = bytes(map_get(stmt, "sig", 0), &sn);
  if (!get_int(map_get(stmt, "alg", 0), &alg) || !sig || cbor_map_size(stmt) != (x5c ? 3u : 2u) ||
      (alg != PP_WEBAUTHN_ES256 && alg != PP_WEBAUTHN_EDDSA) || (!x5c && alg != k->alg))
    return PP_ERR_WEBAUTHN_ATTESTATION;
  X509 *cert = x5c ? x5c_cert(x5c, a->aaguid) : NULL;
  EVP_PKEY *key = cert                          ? X509_get_pubkey(cert)
                  : x5c                         ? NULL
                  : k->alg == PP_WEBAUTHN_ES256 ? es256_pk_to_EVP_PKEY(k->es256)
                                                : eddsa_pk_to_EVP_PKEY(k->eddsa);
  bool ok = key && verify_evp(key, (int)alg, ad, adn, cdh, sig, sn);
  EVP_PKEY_free(key);
  X509_free(cert);
  return ok ? PP_OK : PP_ERR_WEBAUTHN_ATTESTATION;
}

/* check_attestation: §7.1 steps 12-19 on the decoded attestation object. */
static pp_err_t check_attestation(const pp_webauthn_rp_t *rp, const uint8_t *cdh,
                                  const cbor_item_t *obj, bool uv, pp_webauthn_cred_t *out) {
  const cbor_item_t *fmt = map_get(obj, "fmt", 0), *stmt = map_get(obj, "attStmt", 0);
  size_t adn = 0;
  const uint8_t *ad = bytes(map_get(obj, "authData", 0), &adn);
  authdata_t a;
  pubkey_t k = {0};
  pp_err_t e = fmt && stmt && cbor_isa_map(stmt) && ad ? parse_authdata(ad, adn, &a)
                                                       : PP_ERR_WEBAUTHN_ENCODING;
  if (e == PP_OK && !(a.flags & FLAG_AT)) e = PP_ERR_WEBAUTHN_ENCODING;
  if (e == PP_OK) e = check_authdata(rp, &a, uv);
  if (e == PP_OK) e = cose_parse(a.cose_key, a.cose_key_len, &k);
  if (e == PP_OK) {
    if (is_text(fmt, "none"))
      e = cbor_map_size(stmt) == 0 ? PP_OK : PP_ERR_WEBAUTHN_ATTESTATION;
    else if (is_text(fmt, "packed"))
      e = check_packed(cdh, stmt, ad, adn, &a, &k);
    else
      e = PP_ERR_WEBAUTHN_ATTESTATION;
  }
  if (e == PP_OK) {
    memset(out, 0, sizeof *out);
    memcpy(out->id, a.cred_id, a.cred_id_len);
    out->id_len = a.cred_id_len;
    out->alg = k.alg;
    memcpy(out->cose_key, a.cose_key, a.cose_key_len);
    out->cose_key_len = a.cose_key_len;
    out->sign_count = a.sign_count;
    memcpy(out->aaguid, a.aaguid, sizeof out->aaguid);
    out->user_verified = a.flags & FLAG_UV;
  }
  pubkey_cleanup(&k);
  return e;
}

/* ---- The two ceremonies --------------------------------------------------- */

pp_err_t pp_webauthn_register_n(const pp_webauthn_rp_t *rp, const uint8_t *challenge,
                                size_t challenge_len, const char *client_data_json,
                                const char *attestation_object, bool user_verification,
                                pp_webauthn_cred_t *out) {
  uint8_t cdh[crypto_hash_sha256_BYTES], *raw = NULL;
  size_t len = 0;
  pp_err_t e =
      check_client_data(rp, challenge, challenge_len, client_data_json, "webauthn.create", cdh);
  if (e == PP_OK) e = decode_new(attestation_object, &raw, &len);
  if (e != PP_OK) return e;
  size_t read = 0;
  cbor_item_t *obj = load(raw, len, &read);
  if (obj && read == len && cbor_isa_map(obj))
    e = check_attestation(rp, cdh, obj, user_verification, out);
  else
    e = PP_ERR_WEBAUTHN_ENCODING;
  if (obj) cbor_decref(&obj);
  free(raw);
  return e;
}

pp_err_t pp_webauthn_register(const pp_webauthn_rp_t *rp,
                              const uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN],
                              const char *client_data_json, const char *attestation_object,
                              bool user_verification, pp_webauthn_cred_t *out) {
  return pp_webauthn_register_n(rp, challenge, PP_WEBAUTHN_CHALLENGE_LEN, client_data_json,
                                attestation_object, user_verification, out);
}

/* check_assertion: §7.2 steps 16-21 on decoded authenticator data and
 * signature. */
static pp_err_t check_assertion(const pp_webauthn_rp_t *rp, const uint8_t *cdh,
                                const pp_webauthn_cred_t *cred, const uint8_t *ad, size_t adn,
                                const uint8_t *sig, size_t sn, bool uv,
                                pp_webauthn_assertion_t *out) {
  authdata_t a;
  pubkey_t k = {0};
  pp_err_t e = parse_authdata(ad, adn, &a);
  if (e == PP_OK && (a.flags & FLAG_AT)) e = PP_ERR_WEBAUTHN_ENCODING;
  if (e == PP_OK) e = check_authdata(rp, &a, uv);
  if (e == PP_OK &&
      (cose_parse(cred->cose_key, cred->cose_key_len, &k) != PP_OK || k.alg != cred->alg))
    e = PP_ERR_WEBAUTHN_CREDENTIAL;
  if (e == PP_OK) e = verify_sig(rp, &k, ad, adn, cdh, sig, sn);
  if (e == PP_OK && (a.sign_count || cred->sign_count) && a.sign_count <= cred->sign_count)
    e = PP_ERR_WEBAUTHN_SIGN_COUNT;
  if (e == PP_OK) *out = (pp_webauthn_assertion_t){a.sign_count, a.flags & FLAG_UV};
  pubkey_cleanup(&k);
  return e;
}

pp_err_t pp_webauthn_assert_n(const pp_webauthn_rp_t *rp, const uint8_t *challenge,
                              size_t challenge_len, const pp_webauthn_cred_t *cred,
                              const char *client_data_json, const char *authenticator_data,
                              const char *signature, bool user_verification,
                              pp_webauthn_assertion_t *out) {
  uint8_t cdh[crypto_hash_sha256_BYTES], *ad = NULL, *sig = NULL;
  size_t adn = 0, sn = 0;
  pp_err_t e =
      check_client_data(rp, challenge, challenge_len, client_data_json, "webauthn.get", cdh);
  if (e == PP_OK) e = decode_new(authenticator_data, &ad, &adn);
  if (e == PP_OK) e = decode_new(signature, &sig, &sn);
  if (e == PP_OK) e = check_assertion(rp, cdh, cred, ad, adn, sig, sn, user_verification, out);
  free(ad);
  free(sig);
  return e;
}

pp_err_t pp_webauthn_assert(const pp_webauthn_rp_t *rp,
                            const uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN],
                            const pp_webauthn_cred_t *cred, const char *client_data_json,
                            const char *authenticator_data, const char *signature,
                            bool user_verification, pp_webauthn_assertion_t *out) {
  return pp_webauthn_assert_n(rp, challenge, PP_WEBAUTHN_CHALLENGE_LEN, cred, client_data_json,
                              authenticator_data, signature, user_verification, out);
}
