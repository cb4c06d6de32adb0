/* otp.c: HOTP/TOTP over OpenSSL's HMAC (libsodium has no HMAC-SHA1). */
#include "verify/otp.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

bool pp_otp_alg_parse(const char *s, pp_otp_alg_t *out) {
  static const char *const names[] = {"sha1", "sha256", "sha512"};
  for (int i = 0; i < 3; i++)
    if (s && strcasecmp(s, names[i]) == 0) {
      *out = (pp_otp_alg_t)i;
      return true;
    }
  return false;
}

const char *pp_otp_alg_name(pp_otp_alg_t alg) {
  return alg == PP_OTP_SHA256 ? "sha256" : alg == PP_OTP_SHA512 ? "sha512" : "sha1";
}

size_t pp_otp_secret_len(pp_otp_alg_t alg) {
  return alg == PP_OTP_SHA512 ? 64 : alg == PP_OTP_SHA256 ? 32 : 20;
}

long pp_otp_secret_make(pp_otp_alg_t alg, const char *given, unsigned char out[PP_OTP_SECRET_MAX]) {
  if (!given || !*given) {
    size_t n = pp_otp_secret_len(alg);
    randombytes_buf(out, n);
    return (long)n;
  }
  long n = pp_base32_decode(given, out, PP_OTP_SECRET_MAX);
  if (n >= PP_OTP_SECRET_MIN) return n;
  sodium_memzero(out, PP_OTP_SECRET_MAX);
  return -1;
}

int pp_otp_uri(char *out, size_t cap, const char *issuer, const char *account, const char *b32,
               pp_otp_alg_t alg, int digits, int period) {
  pp_buf_t ei, ea;
  pp_buf_init(&ei, 4096);
  pp_buf_init(&ea, 4096);
  pp_buf_url_encode(&ei, issuer);
  pp_buf_url_encode(&ea, account);
  int n = -1;
  if (!pp_buf_status(&ei) && !pp_buf_status(&ea)) {
    const char *i = ei.data ? ei.data : "", *a = ea.data ? ea.data : "";
    n = snprintf(out, cap,
                 "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=%s&digits=%d&period=%d", i, a,
                 b32, i,
                 alg == PP_OTP_SHA512   ? "SHA512"
                 : alg == PP_OTP_SHA256 ? "SHA256"
                                        : "SHA1",
                 digits, period);
    if (n < 0 || (size_t)n >= cap) n = -1;
  }
  pp_buf_cleanup(&ei);
  pp_buf_cleanup(&ea);
  return n;
}

bool pp_hotp(pp_otp_alg_t alg, const unsigned char *key, size_t key_len, uint64_t counter,
             int digits, char out[PP_OTP_MAX_DIGITS + 1]) {
  if (digits < 1 || digits > PP_OTP_MAX_DIGITS || (!key && key_len)) return false;
  const EVP_MD *md = alg == PP_OTP_SHA256   ? EVP_sha256()
                     : alg == PP_OTP_SHA512 ? EVP_sha512()
                                            : EVP_sha1();
  unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
  for (int i = 7; i >= 0; i--, counter >>= 8) msg[i] = (unsigned char)(counter & 0xff);
  unsigned int mac_len = 0;
  if (!HMAC(md, key ? key : (const unsigned char *)"", (int)key_len, msg, sizeof msg, mac,
            &mac_len) ||
      mac_len < 20)
    return false;
  /* Dynamic truncation (RFC 4226 section 5.3). */
  int off = mac[mac_len - 1] & 0x0f;
  uint64_t bin = ((uint64_t)(mac[off] & 0x7f) << 24) | ((uint64_t)mac[off + 1] << 16) |
                 ((uint64_t)mac[off + 2] << 8) | (uint64_t)mac[off + 3];
  uint64_t mod = 1;
  for (int i = 0; i < digits; i++) mod *= 10;
  snprintf(out, PP_OTP_MAX_DIGITS + 1, "%0*llu", digits, (unsigned long long)(bin % mod));
  memset(mac, 0, sizeof mac);
  return true;
}

uint64_t pp_totp_counter(int64_t t, int step) {
  if (t < 0 || step < 1) return 0;
  return (uint64_t)t / (uint64_t)step;
}

bool pp_otp_code_ok(const char *code, int digits) {
  size_t cl = strlen(code);
  return digits >= 1 && cl == (size_t)digits && strspn(code, "0123456789") == cl;
}

int64_t pp_totp_match(pp_otp_alg_t alg, const unsigned char *key, size_t key_len, int64_t now,
                      int step, int digits, int skew, int64_t last_counter, const char *code) {
  if (!pp_otp_code_ok(code, digits)) return -1;
  int64_t now_step = (int64_t)pp_totp_counter(now, step), found = -1;
  for (int64_t c = now_step - skew; c <= now_step + skew; c++) {
    char want[PP_OTP_MAX_DIGITS + 1];
    if (c < 0 || !pp_hotp(alg, key, key_len, (uint64_t)c, digits, want)) continue;
    bool eq = pp_otp_equal(want, code);
    sodium_memzero(want, sizeof want);
    if (eq && c > last_counter) found = c;
  }
  return found;
}

bool pp_otp_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char d = (unsigned char)(la != lb);
  size_t n = la < lb ? la : lb;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t pp_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap) {
  size_t need = (n * 8 + 4) / 5;
  if (cap < need + 1) return 0;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    acc = (acc << 8) | in[i];
    bits += 8;
    while (bits >= 5) {
      out[o++] = alphabet[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out[o++] = alphabet[(acc << (5 - bits)) & 31];
  out[o] = '\0';
  return o;
}

long pp_base32_decode(const char *s, unsigned char *out, size_t cap) {
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (; *s; s++) {
    int c = toupper((unsigned char)*s);
    if (c == '=' || c == ' ' || c == '-') continue;
    const char *p = c ? strchr(alphabet, c) : NULL;
    if (!p) return -1;
    acc = (acc << 5) | (uint32_t)(p - alphabet);
    bits += 5;
    if (bits >= 8) {
      if (o >= cap) return -1;
      out[o++] = (unsigned char)((acc >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return (long)o;
}
