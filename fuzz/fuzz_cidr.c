/* fuzz_cidr.c: pp_hook_allow_parse and pp_hook_addr_allowed
 * (src/hook/addr.h).  The input, up to its first NUL byte, is an allow-list;
 * its first 16 bytes are also an address to judge, as IPv4 and as IPv6.
 *
 * Checked against references written here:
 *  - the parser: split on ',', blanks trimmed, each item a strict dotted
 *    quad (1-3 digits, no leading zero, 0-255) or an IPv6 address
 *    (inet_pton), "/N" with N 0..32 or 0..128 in 1-3 digits without a
 *    leading zero, no host bits past N, at most 64 items; IPv4-mapped blocks
 *    of /96 or longer become IPv4; an empty or blank list has no items;
 *  - a failure leaves the list untouched and says "item K ..." in `why`;
 *  - every block admits its first and last address (as sockaddr_in or
 *    sockaddr_in6, and IPv4 ones also IPv4-mapped);
 *  - pp_hook_addr_allowed agrees with a reference policy: listed (per
 *    family) or not in a refused range, with IPv4-mapped, NAT64 and 6to4
 *    addresses judged as their IPv4 address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "hook/addr.h"

/* ---- Reference parser ---------------------------------------------------------- */

static bool ref_v4(const char *s, size_t n, uint8_t out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (part) {
      if (i >= n || s[i] != '.') return false;
      i++;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 4)
      v = v * 10 + (unsigned)(s[i++] - '0');
    size_t len = i - start;
    if (len == 0 || len > 3 || (len > 1 && s[start] == '0') || v > 255) return false;
    out[part] = (uint8_t)v;
  }
  return i == n;
}

static bool ref_item(const char *s, size_t n, pp_hook_cidr_t *c) {
  memset(c, 0, sizeof *c);
  size_t alen = 0;
  while (alen < n && s[alen] != '/') alen++;
  unsigned max;
  if (memchr(s, ':', alen)) {
    char buf[64];
    if (alen == 0 || alen >= sizeof buf) return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (inet_pton(AF_INET6, buf, c->addr) != 1) return false;
    c->family = 6;
    max = 128;
  } else {
    if (!ref_v4(s, alen, c->addr)) return false;
    c->family = 4;
    max = 32;
  }
  unsigned prefix = max;
  if (alen < n) {
    const char *d = s + alen + 1;
    size_t dn = n - alen - 1;
    if (dn < 1 || dn > 3 || (dn > 1 && d[0] == '0')) return false;
    prefix = 0;
    for (size_t i = 0; i < dn; i++) {
      if (d[i] < '0' || d[i] > '9') return false;
      prefix = prefix * 10 + (unsigned)(d[i] - '0');
    }
    if (prefix > max) return false;
  }
  for (unsigned b = prefix; b < max; b++)
    if (c->addr[b / 8] >> (7 - b % 8) & 1) return false;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (c->family == 6 && prefix >= 96 && memcmp(c->addr, mapped, 12) == 0) {
    uint8_t v4[4];
    memcpy(v4, c->addr + 12, 4);
    memset(c->addr, 0, 16);
    memcpy(c->addr, v4, 4);
    c->family = 4;
    prefix -= 96;
  }
  c->prefix = (uint8_t)prefix;
  return true;
}

/* Returns the expected item count, or -1 for an error. */
static int ref_parse(const char *s, pp_hook_cidr_t *items) {
  const char *p = s;
  while (*p == ' ' || *p == '\t') p++;
  if (!*p) return 0;
  int n = 0;
  for (;;) {
    size_t len = strcspn(p, ",");
    const char *t = p;
    size_t tn = len;
    while (tn && (*t == ' ' || *t == '\t')) t++, tn--;
    while (tn && (t[tn - 1] == ' ' || t[tn - 1] == '\t')) tn--;
    if (tn == 0 || n == PP_HOOK_ALLOW_MAX || !ref_item(t, tn, &items[n])) return -1;
    n++;
    if (!p[len]) return n;
    p += len + 1;
  }
}

/* ---- Reference policy ------------------------------------------------------------- */

static bool in_cidr(const uint8_t *a, const uint8_t *net, unsigned prefix) {
  for (unsigned b = 0; b < prefix; b++)
    if ((a[b / 8] >> (7 - b % 8) & 1) != (net[b / 8] >> (7 - b % 8) & 1)) return false;
  return true;
}

static bool in_text_cidr(int family, const uint8_t *a, const char *cidr) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", cidr);
  char *slash = strchr(buf, '/');
  *slash = '\0';
  uint8_t net[16] = {0};
  if (inet_pton(family, buf, net) != 1) abort();
  return in_cidr(a, net, (unsigned)atoi(slash + 1));
}

static const char *const refused4[] = {
    "0.0.0.0/8",       "10.0.0.0/8",     "100.64.0.0/10", "127.0.0.0/8",    "169.254.0.0/16",
    "172.16.0.0/12",   "192.0.0.0/24",   "192.0.2.0/24",  "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",   "240.0.0.0/4"};
static const char *const refused6[] = {"::/96",    "64:ff9b:1::/48", "100::/64",  "2001:db8::/32",
                                       "fc00::/7", "fe80::/10",      "fec0::/10", "ff00::/8"};

static bool listed(const pp_hook_cidr_t *items, int n, int family, const uint8_t *a) {
  for (int i = 0; i < n; i++)
    if (items[i].family == family && in_cidr(a, items[i].addr, items[i].prefix)) return true;
  return false;
}

static bool ref_allowed4(const pp_hook_cidr_t *items, int n, const uint8_t a[4]) {
  if (listed(items, n, 4, a)) return true;
  for (size_t i = 0; i < sizeof refused4 / sizeof refused4[0]; i++)
    if (in_text_cidr(AF_INET, a, refused4[i])) return false;
  return true;
}

static bool ref_allowed6(const pp_hook_cidr_t *items, int n, const uint8_t a[16]) {
  if (in_text_cidr(AF_INET6, a, "::ffff:0:0/96")) return ref_allowed4(items, n, a + 12);
  if (listed(items, n, 6, a)) return true;
  if (in_text_cidr(AF_INET6, a, "64:ff9b::/96")) return ref_allowed4(items, n, a + 12);
  if (in_text_cidr(AF_INET6, a, "2002::/16")) return ref_allowed4(items, n, a + 2);
  for (size_t i = 0; i < sizeof refused6 / sizeof refused6[0]; i++)
    if (in_text_cidr(AF_INET6, a, refused6[i])) return false;
  return true;
}

/* pp_hook_addr_allowed's answer for `sa`; a refusal must say why. */
static bool judge(const pp_hook_allow_t *allow, const struct sockaddr *sa, socklen_t len) {
  const char *why = NULL;
  bool ok = pp_hook_addr_allowed(allow, sa, len, &why);
  FUZZ_CHECK(ok || (why && *why), "refused without a reason");
  return ok;
}

static bool judge4(const pp_hook_allow_t *allow, const uint8_t a[4]) {
  struct sockaddr_in s = {.sin_family = AF_INET};
  memcpy(&s.sin_addr, a, 4);
  return judge(allow, (struct sockaddr *)&s, sizeof s);
}

static bool judge6(const pp_hook_allow_t *allow, const uint8_t a[16]) {
  struct sockaddr_in6 s = {.sin6_family = AF_INET6};
  memcpy(&s.sin6_addr, a, 16);
  return judge(allow, (struct sockaddr *)&s, sizeof s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  pp_hook_allow_t *allow = malloc(sizeof *allow);
  pp_hook_cidr_t *ref = malloc(PP_HOOK_ALLOW_MAX * sizeof *ref);
  if (!s || !allow || !ref) abort();
  memcpy(s, data, size);
  s[size] = '\0';

  memset(allow, 0x5a, sizeof *allow);
  allow->n = 7;
  char why[PP_HOOK_WHY_SIZE] = "";
  pp_err_t e = pp_hook_allow_parse(s, allow, why);
  int want = ref_parse(s, ref);
  FUZZ_CHECK((e == PP_OK) == (want >= 0), "error %d, reference %d items", (int)e, want);
  if (e != PP_OK) {
    FUZZ_CHECK(e == PP_ERR_INVALID_PARAM, "error %d", (int)e);
    FUZZ_CHECK(allow->n == 7, "list changed on error");
    FUZZ_CHECK(strncmp(why, "item ", 5) == 0, "why \"%s\"", why);
    allow->n = 0;
  } else {
    FUZZ_CHECK(allow->n == (size_t)want, "%zu items, reference %d", allow->n, want);
    for (int i = 0; i < want; i++) {
      const pp_hook_cidr_t *c = &allow->items[i];
      FUZZ_CHECK(c->family == ref[i].family && c->prefix == ref[i].prefix &&
                     memcmp(c->addr, ref[i].addr, c->family == 4 ? 4 : 16) == 0,
                 "item %d differs from the reference", i + 1);
      /* First and last address of the block are admitted. */
      uint8_t lo[16] = {0}, hi[16] = {0};
      unsigned bits = c->family == 4 ? 32 : 128;
      memcpy(lo, c->addr, bits / 8);
      memcpy(hi, c->addr, bits / 8);
      for (unsigned b = c->prefix; b < bits; b++) hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
      if (c->family == 4) {
        FUZZ_CHECK(judge4(allow, lo) && judge4(allow, hi), "item %d: its IPv4 ends refused", i + 1);
        uint8_t m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(m + 12, hi, 4);
        FUZZ_CHECK(judge6(allow, m), "item %d: its mapped end refused", i + 1);
      } else {
        /* An IPv6 block never admits IPv4-mapped addresses: those are
         * judged as IPv4 (only "::fffe:0:0/95" and wider can reach them). */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        FUZZ_CHECK(judge6(allow, lo), "item %d: its first IPv6 address refused", i + 1);
        if (memcmp(hi, mapped, 12) != 0)
          FUZZ_CHECK(judge6(allow, hi), "item %d: its last IPv6 address refused", i + 1);
      }
    }
  }

  /* The input's first bytes as addresses. */
  uint8_t a[16] = {0};
  memcpy(a, data, size < 16 ? size : 16);
  int n = e == PP_OK ? want : 0;
  FUZZ_CHECK(judge4(allow, a) == ref_allowed4(ref, n, a), "IPv4 %u.%u.%u.%u judged otherwise", a[0],
             a[1], a[2], a[3]);
  FUZZ_CHECK(judge6(allow, a) == ref_allowed6(ref, n, a), "IPv6 address judged otherwise");
  /* And with the IPv4-mapped, NAT64 and 6to4 forms of those four bytes. */
  uint8_t m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  memcpy(m + 12, a, 4);
  FUZZ_CHECK(judge6(allow, m) == judge4(allow, a), "mapped form judged otherwise");
  uint8_t n64[16] = {0x00, 0x64, 0xff, 0x9b};
  memcpy(n64 + 12, a, 4);
  FUZZ_CHECK(judge6(allow, n64) == ref_allowed6(ref, n, n64), "NAT64 form judged otherwise");
  uint8_t t6[16] = {0x20, 0x02};
  memcpy(t6 + 2, a, 4);
  FUZZ_CHECK(judge6(allow, t6) == ref_allowed6(ref, n, t6), "6to4 form judged otherwise");

  free(s);
  free(allow);
  free(ref);
  return 0;
}
