/* WebAuthn relying-party checks (security/webauthn.h): real registrations
 * and assertions made here by a test authenticator (an ES256 key from
 * OpenSSL, an Ed25519 key from libsodium, attestation objects and COSE keys
 * encoded with libcbor), every refusal the header lists, and known-answer
 * vectors: responses of real authenticators (a YubiKey's packed attestation,
 * Chrome and Firefox assertions) as published in duo-labs/py_webauthn's
 * tests, byte for byte. */
#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "security/webauthn.h"
#include "security/webauthn_int.h"

static const pp_webauthn_rp_t RP = {"pipit.example", "https://pipit.example"};
static uint8_t CHALLENGE[PP_WEBAUTHN_CHALLENGE_LEN];
static const uint8_t AAGUID[16] = {0xa1, 0xb2, 0xc3, 0xd4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* ---- A test authenticator -------------------------------------------------- */

typedef struct {
  int alg;
  EVP_PKEY *ec;
  uint8_t ed_pk[crypto_sign_PUBLICKEYBYTES], ed_sk[crypto_sign_SECRETKEYBYTES];
  uint8_t id[20];
  uint32_t count;
} authr_t;

static void authr_init(authr_t *t, int alg) {
  memset(t, 0, sizeof *t);
  t->alg = alg;
  if (alg == PP_WEBAUTHN_ES256)
    t->ec = EVP_EC_gen("P-256");
  else
    crypto_sign_keypair(t->ed_pk, t->ed_sk);
  randombytes_buf(t->id, sizeof t->id);
}

static void authr_cleanup(authr_t *t) {
  EVP_PKEY_free(t->ec);
}

static size_t sign_with(EVP_PKEY *ec, const uint8_t *ed_sk, const uint8_t *m, size_t n,
                        uint8_t *sig) {
  if (!ec) {
    crypto_sign_detached(sig, NULL, m, n, ed_sk);
    return crypto_sign_BYTES;
  }
  size_t len = 128;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  CHECK(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ec) == 1 &&
        EVP_DigestSign(ctx, sig, &len, m, n) == 1);
  EVP_MD_CTX_free(ctx);
  return len;
}

static void map_put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v) {
  CHECK(cbor_map_add(map, (struct cbor_pair){cbor_move(k), cbor_move(v)}));
}

/* An integer in its shortest form, as CTAP2's canonical CBOR has it. */
static cbor_item_t *cbor_int(int64_t v) {
  uint64_t u = v >= 0 ? (uint64_t)v : (uint64_t)(-1 - v);
  cbor_item_t *it = u < 256 ? cbor_build_uint8((uint8_t)u) : cbor_build_uint16((uint16_t)u);
  if (v < 0) cbor_mark_negint(it);
  return it;
}

static size_t serialize(cbor_item_t *it, uint8_t *out, size_t cap) {
  size_t n = cbor_serialize(it, out, cap);
  CHECK(n > 0);
  cbor_decref(&it);
  return n;
}

/* The COSE_Key of t's public key, with `alg` in its alg field; an ES256
 * key's point moved off the curve when off_curve. */
static size_t cose_key(const authr_t *t, int64_t alg, bool off_curve, uint8_t *out, size_t cap) {
  cbor_item_t *m = cbor_new_definite_map(5);
  if (t->alg == PP_WEBAUTHN_ES256) {
    uint8_t pt[65];
    size_t n = 0;
    CHECK(EVP_PKEY_get_octet_string_param(t->ec, "encoded-pub-key", pt, sizeof pt, &n) == 1 &&
          n == 65);
    pt[64] ^= off_curve;
    map_put(m, cbor_int(1), cbor_int(2));
    map_put(m, cbor_int(3), cbor_int(alg));
    map_put(m, cbor_int(-1), cbor_int(1));
    map_put(m, cbor_int(-2), cbor_build_bytestring(pt + 1, 32));
    map_put(m, cbor_int(-3), cbor_build_bytestring(pt + 33, 32));
  } else {
    map_put(m, cbor_int(1), cbor_int(1));
    map_put(m, cbor_int(3), cbor_int(alg));
    map_put(m, cbor_int(-1), cbor_int(6));
    map_put(m, cbor_int(-2), cbor_build_bytestring(t->ed_pk, 32));
  }
  return serialize(m, out, cap);
}

static void b64(const uint8_t *d, size_t n, char *out, size_t cap) {
  CHECK(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) <= cap);
  sodium_bin2base64(out, cap, d, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* What a response is made with; zero fields take the honest default. */
typedef struct {
  const char *type, *origin, *rp_id, *cross, *fmt;
  const uint8_t *challenge;
  int flags;   /* default UP | UV; -1 for none */
  int64_t alg; /* the COSE key's alg field (registration) */
  X509 *cert;  /* packed with x5c: the attestation certificate and its key */
  EVP_PKEY *cert_key;
  bool bad_sig;   /* flip a bit of the signature */
  bool tamper;    /* change the authenticator data after signing */
  bool trailing;  /* a byte after the authenticator data's last part */
  bool ext;       /* extension outputs: ED and {"credProtect": 2} */
  bool off_curve; /* an ES256 key whose point is not on P-256 */
} opts_t;

typedef struct {
  char cdj[1024], obj[8192], ad[1024], sig[512];
} resp_t;

/* client data of `type`; writes its base64url and its hash. */
static void client_data(const opts_t *o, const char *type, char *b64out, uint8_t hash[32]) {
  char ch[64], json[768];
  b64(o->challenge ? o->challenge : CHALLENGE, PP_WEBAUTHN_CHALLENGE_LEN, ch, sizeof ch);
  int n =
      snprintf(json, sizeof json, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\"%s%s}",
               o->type ? o->type : type, ch, o->origin ? o->origin : RP.origin,
               o->cross ? ",\"crossOrigin\":" : "", o->cross ? o->cross : "");
  crypto_hash_sha256(hash, (const uint8_t *)json, (size_t)n);
  b64((const uint8_t *)json, (size_t)n, b64out, 1024);
}

/* authenticator data; with the attested credential data when reg. */
static size_t authdata(authr_t *t, const opts_t *o, bool reg, uint8_t *out) {
  const char *rp_id = o->rp_id ? o->rp_id : RP.rp_id;
  crypto_hash_sha256(out, (const uint8_t *)rp_id, strlen(rp_id));
  out[32] = (uint8_t)(o->flags == -1 ? 0 : o->flags ? o->flags : 0x05) | (reg ? 0x40 : 0);
  uint32_t c = t->count;
  out[33] = (uint8_t)(c >> 24), out[34] = (uint8_t)(c >> 16), out[35] = (uint8_t)(c >> 8);
  out[36] = (uint8_t)c;
  size_t n = 37;
  if (reg) {
    memcpy(out + n, AAGUID, 16);
    out[n + 16] = 0, out[n + 17] = sizeof t->id;
    memcpy(out + n + 18, t->id, sizeof t->id);
    n += 18 + sizeof t->id;
    n += cose_key(t, o->alg ? o->alg : t->alg, o->off_curve, out + n, 256);
  }
  if (o->ext) {
    static const uint8_t cred_protect[] = {0xa1, 0x6b, 'c', 'r', 'e', 'd', 'P',
                                           'r',  'o',  't', 'e', 'c', 't', 0x02};
    out[32] |= 0x80;
    memcpy(out + n, cred_protect, sizeof cred_protect);
    n += sizeof cred_protect;
  }
  if (o->trailing) out[n++] = 0;
  return n;
}

/* sign authData || hash with t's key, or with the certificate's. */
static size_t sign_response(authr_t *t, const opts_t *o, const uint8_t *ad, size_t adn,
                            const uint8_t hash[32], uint8_t *sig) {
  uint8_t m[1024];
  memcpy(m, ad, adn);
  memcpy(m + adn, hash, 32);
  size_t n = o->cert_key ? sign_with(o->cert_key, NULL, m, adn + 32, sig)
                         : sign_with(t->ec, t->ed_sk, m, adn + 32, sig);
  if (o->bad_sig) sig[n / 2] ^= 1;
  return n;
}

static void make_registration(authr_t *t, const opts_t *o, resp_t *r) {
  uint8_t hash[32], ad[1024], sig[256], obj[8192];
  client_data(o, "webauthn.create", r->cdj, hash);
  size_t adn = authdata(t, o, true, ad);
  const char *fmt = o->fmt ? o->fmt : "none";
  cbor_item_t *stmt = cbor_new_definite_map(3);
  if (strcmp(fmt, "packed") == 0) {
    size_t sn = sign_response(t, o, ad, adn, hash, sig);
    map_put(stmt, cbor_build_string("alg"),
            cbor_int(o->cert_key ? PP_WEBAUTHN_ES256
                     : o->alg    ? o->alg
                                 : t->alg));
    map_put(stmt, cbor_build_string("sig"), cbor_build_bytestring(sig, sn));
    if (o->cert) {
      uint8_t *der = NULL;
      int dn = i2d_X509(o->cert, &der);
      cbor_item_t *x5c = cbor_new_definite_array(1);
      CHECK(cbor_array_push(x5c, cbor_move(cbor_build_bytestring(der, (size_t)dn))));
      map_put(stmt, cbor_build_string("x5c"), x5c);
      OPENSSL_free(der);
    }
  }
  if (o->tamper) ad[36] ^= 1;
  cbor_item_t *m = cbor_new_definite_map(3);
  map_put(m, cbor_build_string("fmt"), cbor_build_string(fmt));
  map_put(m, cbor_build_string("attStmt"), stmt);
  map_put(m, cbor_build_string("authData"), cbor_build_bytestring(ad, adn));
  size_t n = serialize(m, obj, sizeof obj);
  b64(obj, n, r->obj, sizeof r->obj);
}

static void make_assertion(authr_t *t, const opts_t *o, resp_t *r) {
  uint8_t hash[32], ad[1024], sig[256];
  client_data(o, "webauthn.get", r->cdj, hash);
  size_t adn = authdata(t, o, false, ad);
  size_t sn = sign_response(t, o, ad, adn, hash, sig);
  if (o->tamper) ad[36] ^= 1;
  b64(ad, adn, r->ad, sizeof r->ad);
  b64(sig, sn, r->sig, sizeof r->sig);
}

static pp_err_t reg(authr_t *t, const opts_t *o, bool uv, pp_webauthn_cred_t *cred) {
  resp_t r;
  make_registration(t, o, &r);
  return pp_webauthn_register(&RP, CHALLENGE, r.cdj, r.obj, uv, cred);
}

static pp_err_t get(authr_t *t, const opts_t *o, const pp_webauthn_cred_t *cred, bool uv,
                    pp_webauthn_assertion_t *out) {
  resp_t r;
  make_assertion(t, o, &r);
  return pp_webauthn_assert(&RP, CHALLENGE, cred, r.cdj, r.ad, r.sig, uv, out);
}

/* An attestation certificate for key: the fields of §8.2.1, with ou as
 * the OU, CA as given, and the AAGUID extension when aaguid is set. */
static X509 *make_cert(EVP_PKEY *key, const char *ou, bool ca, const uint8_t *aaguid) {
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME *n = X509_get_subject_name(x);
  const char *fields[][2] = {
      {"C", "SE"}, {"O", "Pipit Test"}, {"OU", ou}, {"CN", "Test Authenticator"}};
  for (size_t i = 0; i < 4; i++)
    X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_ASC, (const uint8_t *)fields[i][1], -1, -1,
                               0);
  X509_set_issuer_name(x, n);
  BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
  bc->ca = ca ? 0xff : 0;
  X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT);
  BASIC_CONSTRAINTS_free(bc);
  if (aaguid) {
    uint8_t v[18] = {0x04, 16};
    memcpy(v + 2, aaguid, 16);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, v, sizeof v);
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(os);
  }
  CHECK(X509_sign(x, key, EVP_sha256()) > 0);
  return x;
}

/* ---- Honest ceremonies -------------------------------------------------------- */

static void test_register_and_sign_in(int alg, const char *fmt) {
  authr_t t;
  authr_init(&t, alg);
  t.count = 3;
  pp_webauthn_cred_t cred;
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = fmt}, true, &cred), PP_OK);
  CHECK_EQ_INT(cred.alg, alg);
  CHECK(cred.id_len == sizeof t.id && memcmp(cred.id, t.id, sizeof t.id) == 0);
  CHECK(memcmp(cred.aaguid, AAGUID, 16) == 0);
  CHECK_EQ_INT(cred.sign_count, 3);
  CHECK(cred.user_verified);
  CHECK(cred.cose_key_len > 0 && cred.cose_key_len <= PP_WEBAUTHN_COSE_KEY_MAX);

  pp_webauthn_assertion_t out = {0};
  t.count = 4;
  CHECK_EQ_INT(get(&t, &(opts_t){0}, &cred, true, &out), PP_OK);
  CHECK_EQ_INT(out.sign_count, 4);
  CHECK(out.user_verified);
  /* UP without UV: accepted unless UV is required. */
  t.count = 5;
  cred.sign_count = 4;
  CHECK_EQ_INT(get(&t, &(opts_t){.flags = 0x01}, &cred, false, &out), PP_OK);
  CHECK(!out.user_verified);
  authr_cleanup(&t);
}

/* ---- Refusals -------------------------------------------------------------- */

static void test_client_data_refusals(void) {
  authr_t t;
  authr_init(&t, PP_WEBAUTHN_ES256);
  pp_webauthn_cred_t cred;
  CHECK_EQ_INT(reg(&t, &(opts_t){0}, true, &cred), PP_OK);
  pp_webauthn_assertion_t out;
  uint8_t other[PP_WEBAUTHN_CHALLENGE_LEN];
  memcpy(other, CHALLENGE, sizeof other);
  other[31] ^= 0x80;
  /* Registration: the wrong type, another challenge, origin, crossOrigin. */
  pp_webauthn_cred_t c2;
  CHECK_EQ_INT(reg(&t, &(opts_t){.type = "webauthn.get"}, true, &c2), PP_ERR_WEBAUTHN_TYPE);
  CHECK_EQ_INT(reg(&t, &(opts_t){.challenge = other}, true, &c2), PP_ERR_WEBAUTHN_CHALLENGE);
  CHECK_EQ_INT(reg(&t, &(opts_t){.origin = "https://pipit.example.evil"}, true, &c2),
               PP_ERR_WEBAUTHN_ORIGIN);
  CHECK_EQ_INT(reg(&t, &(opts_t){.cross = "true"}, true, &c2), PP_ERR_WEBAUTHN_ORIGIN);
  CHECK_EQ_INT(reg(&t, &(opts_t){.cross = "false"}, true, &c2), PP_OK);
  CHECK_EQ_INT(reg(&t, &(opts_t){.cross = "\"false\""}, true, &c2), PP_ERR_WEBAUTHN_ENCODING);

  /* Authentication: the same. */
  t.count = 0;
  cred.sign_count = 0;
  CHECK_EQ_INT(get(&t, &(opts_t){.type = "webauthn.create"}, &cred, true, &out),
               PP_ERR_WEBAUTHN_TYPE);
  CHECK_EQ_INT(get(&t, &(opts_t){.challenge = other}, &cred, true, &out),
               PP_ERR_WEBAUTHN_CHALLENGE);
  CHECK_EQ_INT(get(&t, &(opts_t){.origin = "http://pipit.example"}, &cred, true, &out),
               PP_ERR_WEBAUTHN_ORIGIN);
  CHECK_EQ_INT(get(&t, &(opts_t){.origin = "https://pipit.example:8443"}, &cred, true, &out),
               PP_ERR_WEBAUTHN_ORIGIN);
  CHECK_EQ_INT(get(&t, &(opts_t){.cross = "true"}, &cred, true, &out), PP_ERR_WEBAUTHN_ORIGIN);

  /* A response made for a challenge already used, offered for the next one. */
  resp_t r;
  make_assertion(&t, &(opts_t){0}, &r);
  CHECK_EQ_INT(pp_webauthn_assert(&RP, CHALLENGE, &cred, r.cdj, r.ad, r.sig, true, &out), PP_OK);
  CHECK_EQ_INT(pp_webauthn_assert(&RP, other, &cred, r.cdj, r.ad, r.sig, true, &out),
               PP_ERR_WEBAUTHN_CHALLENGE);
  /* Client data that is not what the browser makes. */
  const char *bad_json[] = {"", "[]", "{\"type\":\"webauthn.get\"", "null",
                            "{\"type\":\"webauthn.get\",\"type\":\"webauthn.get\"}"};
  for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
    char enc[256];
    b64((const uint8_t *)bad_json[i], strlen(bad_json[i]), enc, sizeof enc);
    CHECK_EQ_INT(pp_webauthn_assert(&RP, CHALLENGE, &cred, enc, r.ad, r.sig, true, &out),
                 PP_ERR_WEBAUTHN_ENCODING);
  }
  /* The challenge as standard base64, or padded: not base64url. */
  char json[256], enc[512], ch[64];
  sodium_bin2base64(ch, sizeof ch, CHALLENGE, sizeof CHALLENGE, sodium_base64_VARIANT_URLSAFE);
  snprintf(json, sizeof json, "{\"type\":\"webauthn.get\",\"challenge\":\"%s\",\"origin\":\"%s\"}",
           ch, RP.origin);
  b64((const uint8_t *)json, strlen(json), enc, sizeof enc);
  CHECK_EQ_INT(pp_webauthn_assert(&RP, CHALLENGE, &cred, enc, r.ad, r.sig, true, &out),
               PP_ERR_WEBAUTHN_CHALLENGE);
  authr_cleanup(&t);
}

static void test_authdata_refusals(void) {
  authr_t t;
  authr_init(&t, PP_WEBAUTHN_EDDSA);
  pp_webauthn_cred_t cred, c2;
  pp_webauthn_assertion_t out;
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = "packed"}, false, &cred), PP_OK);
  CHECK_EQ_INT(reg(&t, &(opts_t){.rp_id = "evil.example"}, true, &c2), PP_ERR_WEBAUTHN_RP_ID);
  CHECK_EQ_INT(reg(&t, &(opts_t){.flags = 0x04}, true, &c2), PP_ERR_WEBAUTHN_USER_PRESENT);
  CHECK_EQ_INT(reg(&t, &(opts_t){.flags = 0x01}, true, &c2), PP_ERR_WEBAUTHN_USER_VERIFIED);
  CHECK_EQ_INT(reg(&t, &(opts_t){.flags = 0x01}, false, &c2), PP_OK);
  CHECK(!c2.user_verified);
  CHECK_EQ_INT(reg(&t, &(opts_t){.trailing = true}, true, &c2), PP_ERR_WEBAUTHN_ENCODING);
  CHECK_EQ_INT(reg(&t, &(opts_t){.ext = true}, true, &c2), PP_OK);
  CHECK_EQ_INT(reg(&t, &(opts_t){.ext = true, .fmt = "packed"}, true, &c2), PP_OK);
  CHECK_EQ_INT(reg(&t, &(opts_t){.ext = true, .trailing = true}, true, &c2),
               PP_ERR_WEBAUTHN_ENCODING);

  t.count = 1;
  CHECK_EQ_INT(get(&t, &(opts_t){.rp_id = "pipit.example.evil"}, &cred, true, &out),
               PP_ERR_WEBAUTHN_RP_ID);
  CHECK_EQ_INT(get(&t, &(opts_t){.flags = -1}, &cred, false, &out), PP_ERR_WEBAUTHN_USER_PRESENT);
  CHECK_EQ_INT(get(&t, &(opts_t){.flags = 0x01}, &cred, true, &out), PP_ERR_WEBAUTHN_USER_VERIFIED);
  CHECK_EQ_INT(get(&t, &(opts_t){.bad_sig = true}, &cred, true, &out), PP_ERR_WEBAUTHN_SIGNATURE);
  CHECK_EQ_INT(get(&t, &(opts_t){.tamper = true}, &cred, true, &out), PP_ERR_WEBAUTHN_SIGNATURE);
  CHECK_EQ_INT(get(&t, &(opts_t){.trailing = true}, &cred, true, &out), PP_ERR_WEBAUTHN_ENCODING);
  CHECK_EQ_INT(get(&t, &(opts_t){.ext = true}, &cred, true, &out), PP_OK);
  /* Another credential's key does not verify this one's signature. */
  authr_t other;
  authr_init(&other, PP_WEBAUTHN_EDDSA);
  other.count = 1;
  CHECK_EQ_INT(get(&other, &(opts_t){0}, &cred, true, &out), PP_ERR_WEBAUTHN_SIGNATURE);
  authr_cleanup(&other);
  /* A stored credential whose key does not parse, or is of another alg. */
  pp_webauthn_cred_t broken = cred;
  broken.cose_key_len--;
  CHECK_EQ_INT(get(&t, &(opts_t){0}, &broken, true, &out), PP_ERR_WEBAUTHN_CREDENTIAL);
  broken = cred;
  broken.alg = PP_WEBAUTHN_ES256;
  CHECK_EQ_INT(get(&t, &(opts_t){0}, &broken, true, &out), PP_ERR_WEBAUTHN_CREDENTIAL);
  authr_cleanup(&t);
}

/* The sign count rule: where either count is non-zero, the new one must be
 * greater than the stored one.  Each row: stored, new, the outcome. */
static void test_sign_count(void) {
  static const struct {
    uint32_t stored, count;
    pp_err_t want;
  } rows[] = {
      {0, 0, PP_OK}, /* an authenticator that keeps no count */
      {5, 5, PP_ERR_WEBAUTHN_SIGN_COUNT},
      {5, 4, PP_ERR_WEBAUTHN_SIGN_COUNT},
      {5, 0, PP_ERR_WEBAUTHN_SIGN_COUNT},
      {5, 6, PP_OK},
      {0, 6, PP_OK}, /* it has started counting */
      {UINT32_MAX - 1, UINT32_MAX, PP_OK},
  };
  authr_t t;
  authr_init(&t, PP_WEBAUTHN_ES256);
  pp_webauthn_cred_t cred;
  CHECK_EQ_INT(reg(&t, &(opts_t){0}, true, &cred), PP_OK);
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    pp_webauthn_assertion_t out = {.sign_count = 12345};
    cred.sign_count = rows[i].stored;
    t.count = rows[i].count;
    CHECK_EQ_INT(get(&t, &(opts_t){0}, &cred, true, &out), rows[i].want);
    CHECK_EQ_INT(out.sign_count, rows[i].want == PP_OK ? rows[i].count : 12345);
  }
  authr_cleanup(&t);
}

static void test_attestation(void) {
  authr_t t;
  authr_init(&t, PP_WEBAUTHN_ES256);
  pp_webauthn_cred_t cred;
  /* Self attestation. */
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = "packed"}, true, &cred), PP_OK);
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = "packed", .bad_sig = true}, true, &cred),
               PP_ERR_WEBAUTHN_ATTESTATION);
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = "packed", .tamper = true}, true, &cred),
               PP_ERR_WEBAUTHN_ATTESTATION);
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = "tpm"}, true, &cred), PP_ERR_WEBAUTHN_ATTESTATION);
  /* Unsupported algorithms: RS256 (-257), ES384 (-35). */
  CHECK_EQ_INT(reg(&t, &(opts_t){.alg = -257}, true, &cred), PP_ERR_WEBAUTHN_ALGORITHM);
  CHECK_EQ_INT(reg(&t, &(opts_t){.alg = -35}, true, &cred), PP_ERR_WEBAUTHN_ALGORITHM);
  CHECK_EQ_INT(reg(&t, &(opts_t){.off_curve = true}, true, &cred), PP_ERR_WEBAUTHN_ENCODING);

  /* x5c: a certificate that meets §8.2.1, and ones that do not. */
  EVP_PKEY *ak = EVP_EC_gen("P-256");
  X509 *good = make_cert(ak, "Authenticator Attestation", false, AAGUID);
  X509 *no_ext = make_cert(ak, "Authenticator Attestation", false, NULL);
  uint8_t other_aaguid[16] = {0};
  X509 *wrong_aaguid = make_cert(ak, "Authenticator Attestation", false, other_aaguid);
  X509 *ca = make_cert(ak, "Authenticator Attestation", true, AAGUID);
  X509 *ou = make_cert(ak, "Attestation", false, AAGUID);
  opts_t o = {.fmt = "packed", .cert = good, .cert_key = ak};
  CHECK_EQ_INT(reg(&t, &o, true, &cred), PP_OK);
  o.cert = no_ext;
  CHECK_EQ_INT(reg(&t, &o, true, &cred), PP_OK);
  o.bad_sig = true;
  CHECK_EQ_INT(reg(&t, &o, true, &cred), PP_ERR_WEBAUTHN_ATTESTATION);
  o.bad_sig = false;
  X509 *refused[] = {wrong_aaguid, ca, ou};
  for (size_t i = 0; i < 3; i++) {
    o.cert = refused[i];
    CHECK_EQ_INT(reg(&t, &o, true, &cred), PP_ERR_WEBAUTHN_ATTESTATION);
  }
  /* A P-384 certificate key signing as ES256 (which is P-256 only). */
  EVP_PKEY *p384 = EVP_EC_gen("P-384");
  X509 *big = make_cert(p384, "Authenticator Attestation", false, AAGUID);
  CHECK_EQ_INT(reg(&t, &(opts_t){.fmt = "packed", .cert = big, .cert_key = p384}, true, &cred),
               PP_ERR_WEBAUTHN_ATTESTATION);
  X509_free(big);
  EVP_PKEY_free(p384);
  /* Signed by the credential key, not the certificate's. */
  o.cert = good;
  o.cert_key = NULL;
  CHECK_EQ_INT(reg(&t, &o, true, &cred), PP_ERR_WEBAUTHN_ATTESTATION);
  X509 *all[] = {good, no_ext, wrong_aaguid, ca, ou};
  for (size_t i = 0; i < 5; i++) X509_free(all[i]);
  EVP_PKEY_free(ak);
  authr_cleanup(&t);
}

static void test_encoding(void) {
  authr_t t;
  authr_init(&t, PP_WEBAUTHN_ES256);
  resp_t r;
  make_registration(&t, &(opts_t){0}, &r);
  pp_webauthn_cred_t cred;
  CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, r.obj, true, &cred), PP_OK);
  /* Not base64url: a '+', padding, a character outside the alphabet. */
  const char *bad_b64[] = {"ab+c", "AAAA==", "AA=", "a$b", "A", "Ab"};
  for (size_t i = 0; i < sizeof bad_b64 / sizeof *bad_b64; i++) {
    CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, bad_b64[i], true, &cred),
                 PP_ERR_WEBAUTHN_ENCODING);
    CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, bad_b64[i], r.obj, true, &cred),
                 PP_ERR_WEBAUTHN_ENCODING);
  }
  CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, NULL, true, &cred),
               PP_ERR_WEBAUTHN_ENCODING);
  /* Not CBOR, CBOR that is cut short, or followed by more bytes. */
  uint8_t obj[8192];
  size_t n = 0;
  CHECK_EQ_INT(pp_webauthn_b64url_decode(r.obj, obj, sizeof obj, &n), PP_OK);
  char enc[12000];
  b64(obj, n - 1, enc, sizeof enc);
  CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, enc, true, &cred),
               PP_ERR_WEBAUTHN_ENCODING);
  obj[n] = 0;
  b64(obj, n + 1, enc, sizeof enc);
  CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, enc, true, &cred),
               PP_ERR_WEBAUTHN_ENCODING);
  const uint8_t not_map[] = {0x83, 1, 2, 3}, junk[] = {0xff, 0xff};
  b64(not_map, sizeof not_map, enc, sizeof enc);
  CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, enc, true, &cred),
               PP_ERR_WEBAUTHN_ENCODING);
  b64(junk, sizeof junk, enc, sizeof enc);
  CHECK_EQ_INT(pp_webauthn_register(&RP, CHALLENGE, r.cdj, enc, true, &cred),
               PP_ERR_WEBAUTHN_ENCODING);
  /* The decoder: round trip, and too small a buffer. */
  uint8_t small[4];
  CHECK_EQ_INT(pp_webauthn_b64url_decode("AQIDBAU", small, sizeof small, &n),
               PP_ERR_WEBAUTHN_ENCODING);
  CHECK_EQ_INT(pp_webauthn_b64url_decode("AQIDBA", small, sizeof small, &n), PP_OK);
  CHECK(n == 4 && small[0] == 1 && small[3] == 4);
  /* Trailing bits must be zero ("AQ" is 0x01, "Ab" is not canonical). */
  CHECK_EQ_INT(pp_webauthn_b64url_decode("AQ", small, sizeof small, &n), PP_OK);
  CHECK(n == 1 && small[0] == 1);
  const char *bad[] = {"Ab", "A", "AQ==", "A/", "A+", "AQ\n", NULL};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    n = 99;
    CHECK_EQ_INT(pp_webauthn_b64url_decode(bad[i], small, sizeof small, &n),
                 PP_ERR_WEBAUTHN_ENCODING);
    CHECK_EQ_INT(n, 99);
  }
  authr_cleanup(&t);
}

/* ---- Known answers: real authenticators' responses ---------------------------
 * From duo-labs/py_webauthn (tests/test_verify_registration_response_packed.py
 * and tests/test_verify_authentication_response.py): RP ID "localhost",
 * origin "http://localhost:5000", 64-byte challenges. */

static const pp_webauthn_rp_t LOCALHOST = {"localhost", "http://localhost:5000"};

typedef struct {
  const char *challenge, *cdj, *obj, *id;
  int alg;
} kat_reg_t;

static const kat_reg_t KAT_REG[] = {
    /* A YubiKey through Firefox: packed, x5c (Yubico's attestation
     * certificate, with the AAGUID extension), ES256, flags UP|UV|AT. */
    {"8LBCiOY3q1cBZHFAWtS4AZZChzGphy67lK7I70zKi4yC7pgrQ2Pch7nAjLk1wq9greshIAsW2AjibhXjjI0TmQ",
     "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiOExCQ2lPWTNxMWNCWkhGQVd0UzRBWlpDaHpHcGh5N"
     "j"
     "dsSzdJNzB6S2k0eUM3cGdyUTJQY2g3bkFqTGsxd3E5Z3Jlc2hJQXNXMkFqaWJoWGpqSTBUbVEiLCJvcmlnaW4iOiJodHR"
     "w"
     "Oi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
     "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIhAOfrFlQpbavT6dJeTDJSCDzYSYPjBDHli2-"
     "syT2c1IiKAiA"
     "x5gQ2z5cHjdQX-"
     "jEHTb7JcjfQoVSW8fXszF5ihSgeOGN4NWOBWQLBMIICvTCCAaWgAwIBAgIEKudiYzANBgkqhkiG9w0BAQ"
     "sFADAuMSwwKgYDVQQDEyNZdWJpY28gVTJGIFJvb3QgQ0EgU2VyaWFsIDQ1NzIwMDYzMTAgFw0xNDA4MDEwMDAwMDBaGA8"
     "yMD"
     "UwMDkwNDAwMDAwMFowbjELMAkGA1UEBhMCU0UxEjAQBgNVBAoMCVl1YmljbyBBQjEiMCAGA1UECwwZQXV0aGVudGljYXR"
     "vci"
     "BBdHRlc3RhdGlvbjEnMCUGA1UEAwweWXViaWNvIFUyRiBFRSBTZXJpYWwgNzE5ODA3MDc1MFkwEwYHKoZIzj0CAQYIKoZ"
     "Izj"
     "0DAQcDQgAEKgOGXmBD2Z4R_xCqJVRXhL8Jr45rHjsyFykhb1USGozZENOZ3cdovf5Ke8fj2rxi5tJGn_VnW4_"
     "6iQzKdIaeP6"
     "NsMGowIgYJKwYBBAGCxAoCBBUxLjMuNi4xLjQuMS40MTQ4Mi4xLjEwEwYLKwYBBAGC5RwCAQEEBAMCBDAwIQYLKwYBBAG"
     "C5R"
     "wBAQQEEgQQbUS6m_"
     "bsLkm5MAyP6SDLczAMBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQByV9A83MPhFWmEkNb4Dv"
     "lbUwcjc9nmRzJjKxHc3HeK7GvVkm0H4XucVDB4jeMvTke0WHb_jFUiApvpOHh5VyMx5ydwFoKKcRs5x0_"
     "WwSWL0eTZ5WbVcH"
     "kDR9pSNcA_D_"
     "5AsUKOBcbpF5nkdVRxaQHuuIuwV4k1iK2IqtMNcU8vL6w21U261xCcWwJ6sMq4zzVO8QCKCQhsoIaWrwz828"
     "GDmPzfAjFsJiLJXuYivdHACkeJ5KHMt0mjVLpfJ2BCML7_rgbmvwL7wBW80VHfNdcKmKjkLcpEiPzwcQQhiN_qHV90t-"
     "p4iy"
     "r5xRSpurlP5zic2hlRkLKxMH2_kRjhqSn4aGF1dGhEYXRhWMRJlg3liA6MaHQ0Fw9kdmBbj-"
     "SuuaKGMseZXPO6gx2XY0UAAA"
     "A0bUS6m_bsLkm5MAyP6SDLcwBAsyGQPDZRUYdb4m3rdWeyPaIMYlbmydGp1TP_33vE_"
     "lqJ3PHNyTd0iKsnKr5WjnCcBzcesZ"
     "rDEfB_RBLFzU3k46UBAgMmIAEhWCBAX_i3O3DvBnkGq_uLNk_PeAX5WwO_MIxBp0mhX6Lw7yJYIOW-1-"
     "Fch829McWvRUYAHT"
     "WZTx5IycKSGECL1UzUaK_8",
     "syGQPDZRUYdb4m3rdWeyPaIMYlbmydGp1TP_33vE_lqJ3PHNyTd0iKsnKr5WjnCcBzcesZrDEfB_RBLFzU3k4w",
     PP_WEBAUTHN_ES256},
    /* A YubiKey with an Ed25519 (OKP) credential: packed, x5c, flags UP|AT. */
    {"7JUBjWZFdFozulxb71DvHkh3P6WKUG4ElUo7wEkKic2JETJMAIKCf7rBE9YksI5oNjDzQ6Hqh6E73Oy6SPcMnw",
     "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiN0pVQmpXWkZkRm96dWx4YjcxRHZIa2gzUDZXS1VHN"
     "E"
     "VsVW83d0VrS2ljMkpFVEpNQUlLQ2Y3ckJFOVlrc0k1b05qRHpRNkhxaDZFNzNPeTZTUGNNbnciLCJvcmlnaW4iOiJodHR"
     "w"
     "Oi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
     "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgB3c0BvOsyJut14wj4XVWxXliicWZMZLDNF621Zz7h_"
     "8CIQC"
     "IOqRyWOazVhqlBrD-HL-83KWAvGZRgvW-4A9SE8BLFWN4NWOBWQLBMIICvTCCAaWgAwIBAgIEK_"
     "F8eDANBgkqhkiG9w0BAQ"
     "sFADAuMSwwKgYDVQQDEyNZdWJpY28gVTJGIFJvb3QgQ0EgU2VyaWFsIDQ1NzIwMDYzMTAgFw0xNDA4MDEwMDAwMDBaGA8"
     "yMD"
     "UwMDkwNDAwMDAwMFowbjELMAkGA1UEBhMCU0UxEjAQBgNVBAoMCVl1YmljbyBBQjEiMCAGA1UECwwZQXV0aGVudGljYXR"
     "vci"
     "BBdHRlc3RhdGlvbjEnMCUGA1UEAwweWXViaWNvIFUyRiBFRSBTZXJpYWwgNzM3MjQ2MzI4MFkwEwYHKoZIzj0CAQYIKoZ"
     "Izj"
     "0DAQcDQgAEdMLHhCPIcS6bSPJZWGb8cECuTN8H13fVha8Ek5nt-"
     "pI8vrSflxb59Vp4bDQlH8jzXj3oW1ZwUDjHC6EnGWB5i6"
     "NsMGowIgYJKwYBBAGCxAoCBBUxLjMuNi4xLjQuMS40MTQ4Mi4xLjcwEwYLKwYBBAGC5RwCAQEEBAMCAiQwIQYLKwYBBAG"
     "C5R"
     "wBAQQEEgQQxe9V_62aS5-1gK3rr-"
     "Am0DAMBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQCLbpN2nXhNbunZANJxAn"
     "_Cd-S4JuZsObnUiLnLLS0FPWa01TY8F7oJ8bE-aFa4kTe6NQQfi8-yiZrQ8N-JL4f7gNdQPSrH-"
     "r3iFd4SvroDe1jaJO4J9L"
     "eiFjmRdcVa-5cqNF4G1fPCofvw9W4lKnObuPakr0x_"
     "icdVq1MXhYdUtQk6Zr5mBnc4FhN9qi7DXqLHD5G7ZFUmGwfIcD2-0m"
     "1f1mwQS8yRD5-_aDCf3vutwddoi3crtivzyromwbKklR4qHunJ75LGZLZA8pJ_mXnUQ6TTsgRqPvPXgQPbSyGMf2z_"
     "DIPbQq"
     "CD_Bmc4dj9o6LozheBdDtcZCAjSPTAd_uiaGF1dGhEYXRhWOFJlg3liA6MaHQ0Fw9kdmBbj-"
     "SuuaKGMseZXPO6gx2XY0EAAA"
     "ACxe9V_62aS5-1gK3rr-Am0ACAWlHiMqH6UhUs-d43z-"
     "aGlE3nsXuEOQpa9P9pwpqb4tmvtBMBfGvAV2wUrqBCDENjkkxd6k"
     "IRzZQKcluyOFlyW_vXVZSAEgod1xj-"
     "1QmFpuwyBVnlkQGefRbmUjbEt5iE4q3tdjy65EWIekO0SNjCQx3LxIJMzi25fgUkI9"
     "Y-gg2kAQEDJyAGIVggnB_oUZDQU0esRlNPmjEO96aMDTgs34D8Dv31tAwhUZo",
     "WlHiMqH6UhUs-d43z-aGlE3nsXuEOQpa9P9pwpqb4tmvtBMBfGvAV2wUrqBCDENjkkxd6kIRzZQKcluyOFlyW_"
     "vXVZSAEgod"
     "1xj-1QmFpuwyBVnlkQGefRbmUjbEt5iE4q3tdjy65EWIekO0SNjCQx3LxIJMzi25fgUkI9Y-gg0",
     PP_WEBAUTHN_EDDSA},
};

typedef struct {
  const char *challenge, *cdj, *ad, *sig, *cose_key;
  int alg;
  uint32_t stored, expected;
} kat_get_t;

static const kat_get_t KAT_GET[] = {
    /* EC2: an older Chrome's client data (extra fields, no crossOrigin). */
    {"xi30GPGAFYRxVDpY1sM10DaLzVQG66nv-_7RUazH0vI2YvG8LYgDEnvN5fZZNVuvEDuMi9te3VLqb42N0fkLGA",
     "eyJjaGFsbGVuZ2UiOiJ4aTMwR1BHQUZZUnhWRHBZMXNNMTBEYUx6VlFHNjZudi1fN1JVYXpIMHZJMll2RzhMWWdERW52T"
     "j"
     "VmWlpOVnV2RUR1TWk5dGUzVkxxYjQyTjBma0xHQSIsImNsaWVudEV4dGVuc2lvbnMiOnt9LCJoYXNoQWxnb3JpdGhtIjo"
     "i"
     "U0hBLTI1NiIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NTAwMCIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ",
     "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAATg",
     "MEUCIGisVZOBapCWbnJJvjelIzwpixxIwkjCCb5aCHafQu68AiEA88v-2pJNNApPFwAKFiNuf82-"
     "2hBxYW5kGwVweeoxCwo",
     "pQECAyYgASFYIIeDTe-gN8A-zQclHoRnGFWN8ehM1b7yAsa8I8KIvmplIlgg4nFGT5px8o6gpPZZhO01wdy9crDSA_"
     "Ngtkx0"
     "vGpvPHI",
     PP_WEBAUTHN_ES256, 77, 78},
    /* OKP (Ed25519). */
    {"eZ4eeA3O4jy5FIzqDaSJ6JDNGu0bBc5zI1DjQ_kLso1WNqkG6k5mCYf1dtQhVUiBWZWlZkzR5MFeeWCpJRUNXw",
     "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiZVo0ZWVBM080ank1Rkl6cURhU0o2SkROR3UwYkJjNXpJM"
     "U"
     "RqUV9rTHNvMVdOcWtHNms1bUNZZjFkdFFoVlVpQldaV2xaa3pSNU1GZWVXQ3BKUlVOWHciLCJvcmlnaW4iOiJodHRwOi8"
     "v"
     "bG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
     "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAABw",
     "RRWV8mYDRvK7YdQgdtZD4pJ2dh1D_IWZ_D6jsZo6FHJBoenbj0CVT5nA20vUzlRhN4R6dOEUHmUwP1F8eRBhBg",
     "pAEBAycgBiFYIMz6_SUFLiDid2Yhlq0YboyJ-CDrIrNpkPUGmJp4D3Dp", PP_WEBAUTHN_EDDSA, 3, 7},
};

static void test_known_answers(void) {
  uint8_t ch[PP_WEBAUTHN_CHALLENGE_MAX], id[PP_WEBAUTHN_CRED_ID_MAX];
  size_t chn = 0, idn = 0;
  for (size_t i = 0; i < sizeof KAT_REG / sizeof *KAT_REG; i++) {
    const kat_reg_t *k = &KAT_REG[i];
    pp_webauthn_cred_t cred;
    CHECK_EQ_INT(pp_webauthn_b64url_decode(k->challenge, ch, sizeof ch, &chn), PP_OK);
    CHECK_EQ_INT(pp_webauthn_b64url_decode(k->id, id, sizeof id, &idn), PP_OK);
    CHECK_EQ_INT(pp_webauthn_register_n(&LOCALHOST, ch, chn, k->cdj, k->obj, false, &cred), PP_OK);
    CHECK_EQ_INT(cred.alg, k->alg);
    CHECK(cred.id_len == idn && memcmp(cred.id, id, idn) == 0);
    /* The same bytes for another origin or RP ID, or with UV required of
     * the authenticator that did not verify the user, are refused. */
    const pp_webauthn_rp_t other_origin = {"localhost", "http://localhost:5001"};
    const pp_webauthn_rp_t other_rp = {"localhost.", "http://localhost:5000"};
    CHECK_EQ_INT(pp_webauthn_register_n(&other_origin, ch, chn, k->cdj, k->obj, false, &cred),
                 PP_ERR_WEBAUTHN_ORIGIN);
    CHECK_EQ_INT(pp_webauthn_register_n(&other_rp, ch, chn, k->cdj, k->obj, false, &cred),
                 PP_ERR_WEBAUTHN_RP_ID);
    CHECK_EQ_INT(pp_webauthn_register_n(&LOCALHOST, ch, chn, k->cdj, k->obj, true, &cred),
                 k->alg == PP_WEBAUTHN_ES256 ? PP_OK : PP_ERR_WEBAUTHN_USER_VERIFIED);
  }
  for (size_t i = 0; i < sizeof KAT_GET / sizeof *KAT_GET; i++) {
    const kat_get_t *k = &KAT_GET[i];
    pp_webauthn_cred_t cred = {.alg = k->alg, .sign_count = k->stored};
    CHECK_EQ_INT(pp_webauthn_b64url_decode(k->challenge, ch, sizeof ch, &chn), PP_OK);
    CHECK_EQ_INT(pp_webauthn_b64url_decode(k->cose_key, cred.cose_key, sizeof cred.cose_key,
                                           &cred.cose_key_len),
                 PP_OK);
    pp_webauthn_assertion_t out = {0};
    CHECK_EQ_INT(
        pp_webauthn_assert_n(&LOCALHOST, ch, chn, &cred, k->cdj, k->ad, k->sig, false, &out),
        PP_OK);
    CHECK_EQ_INT(out.sign_count, k->expected);
    CHECK(!out.user_verified);
    cred.sign_count = k->expected;
    CHECK_EQ_INT(
        pp_webauthn_assert_n(&LOCALHOST, ch, chn, &cred, k->cdj, k->ad, k->sig, false, &out),
        PP_ERR_WEBAUTHN_SIGN_COUNT);
    ch[0] ^= 1;
    cred.sign_count = k->stored;
    CHECK_EQ_INT(
        pp_webauthn_assert_n(&LOCALHOST, ch, chn, &cred, k->cdj, k->ad, k->sig, false, &out),
        PP_ERR_WEBAUTHN_CHALLENGE);
  }
}

int main(void) {
  if (sodium_init() < 0) return 1;
  randombytes_buf(CHALLENGE, sizeof CHALLENGE);
  test_register_and_sign_in(PP_WEBAUTHN_ES256, "none");
  test_register_and_sign_in(PP_WEBAUTHN_ES256, "packed");
  test_register_and_sign_in(PP_WEBAUTHN_EDDSA, "none");
  test_register_and_sign_in(PP_WEBAUTHN_EDDSA, "packed");
  test_client_data_refusals();
  test_authdata_refusals();
  test_sign_count();
  test_attestation();
  test_encoding();
  test_known_answers();
  return check_report("security_webauthn");
}
