/* addr.c: CIDR allow-lists and the refusal of non-public addresses for
 * webhooks; see addr.h. */
#include "hook/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* ---- Blocks ---------------------------------------------------------------- */

static bool in_block(const uint8_t *a, const uint8_t *net, unsigned prefix) {
  unsigned full = prefix / 8, rest = prefix % 8;
  if (memcmp(a, net, full) != 0) return false;
  if (!rest) return true;
  uint8_t mask = (uint8_t)(0xFF << (8 - rest));
  return (a[full] & mask) == net[full];
}

typedef struct {
  uint8_t net[16];
  uint8_t prefix;
  const char *name;
} range_t;

/* Refused by default, in the order they are checked: the first match names
 * the range. */
static const range_t v4_refused[] = {
    {{169, 254, 169, 254}, 32, "cloud metadata"},
    {{255, 255, 255, 255}, 32, "broadcast"},
    {{0, 0, 0, 0}, 32, "unspecified"},
    {{0}, 8, "this network (0.0.0.0/8)"},
    {{10}, 8, "private (RFC 1918)"},
    {{100, 64}, 10, "shared address space (100.64.0.0/10)"},
    {{127}, 8, "loopback"},
    {{169, 254}, 16, "link-local"},
    {{172, 16}, 12, "private (RFC 1918)"},
    {{192, 0, 0}, 24, "IETF protocol assignments (192.0.0.0/24)"},
    {{192, 0, 2}, 24, "documentation"},
    {{192, 168}, 16, "private (RFC 1918)"},
    {{198, 18}, 15, "benchmarking (198.18.0.0/15)"},
    {{198, 51, 100}, 24, "documentation"},
    {{203, 0, 113}, 24, "documentation"},
    {{224}, 4, "multicast"},
    {{240}, 4, "reserved (240.0.0.0/4)"},
};

static const range_t v6_refused[] = {
    /* fd00:ec2::254, the EC2 instance metadata service over IPv6. */
    {{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128, "cloud metadata"},
    {{0}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0}, 96, "IPv4-compatible (deprecated)"},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "local-use NAT64 (64:ff9b:1::/48)"},
    {{0x01, 0x00}, 64, "discard-only (100::/64)"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {{0xfc}, 7, "unique local"},
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "site-local (deprecated)"},
    {{0xff}, 8, "multicast"},
};

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t nat64_prefix[12] = {0x00, 0x64, 0xff, 0x9b};

static bool listed(const pp_hook_allow_t *allow, unsigned family, const uint8_t *a) {
  for (size_t i = 0; allow && i < allow->n; i++)
    if (allow->items[i].family == family &&
        in_block(a, allow->items[i].addr, allow->items[i].prefix))
      return true;
  return false;
}

/* NULL when allowed, else the refused range's name. */
static const char *judge4(const pp_hook_allow_t *allow, const uint8_t a[4]) {
  if (listed(allow, 4, a)) return NULL;
  for (size_t i = 0; i < sizeof v4_refused / sizeof v4_refused[0]; i++)
    if (in_block(a, v4_refused[i].net, v4_refused[i].prefix)) return v4_refused[i].name;
  return NULL;
}

static const char *judge6(const pp_hook_allow_t *allow, const uint8_t a[16]) {
  if (memcmp(a, mapped_prefix, 12) == 0) return judge4(allow, a + 12);
  if (listed(allow, 6, a)) return NULL;
  /* The IPv4 address a NAT64 or 6to4 gateway would forward to. */
  if (memcmp(a, nat64_prefix, 12) == 0) return judge4(allow, a + 12);
  if (a[0] == 0x20 && a[1] == 0x02) return judge4(allow, a + 2);
  for (size_t i = 0; i < sizeof v6_refused / sizeof v6_refused[0]; i++)
    if (in_block(a, v6_refused[i].net, v6_refused[i].prefix)) return v6_refused[i].name;
  return NULL;
}

bool pp_hook_addr_allowed(const pp_hook_allow_t *allow, const struct sockaddr *sa, socklen_t len,
                          const char **why) {
  const char *refused = "not an IPv4 or IPv6 address";
  if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in in;
    memcpy(&in, sa, sizeof in);
    refused = judge4(allow, (const uint8_t *)&in.sin_addr);
  } else if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 in6;
    memcpy(&in6, sa, sizeof in6);
    refused = judge6(allow, in6.sin6_addr.s6_addr);
  }
  if (refused && why) *why = refused;
  return refused == NULL;
}

/* ---- Allow-list ------------------------------------------------------------- */

/* Writes "item N \"text\": fault" into why, the text cut at 40 bytes and
 * with bytes that are not printable ASCII as '?'. */
static void item_fault(char *why, size_t item, const char *s, size_t n, const char *fault) {
  if (!why) return;
  char text[41];
  size_t k = n < 40 ? n : 40;
  for (size_t i = 0; i < k; i++) text[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  text[k] = '\0';
  snprintf(why, PP_HOOK_WHY_SIZE, "item %zu \"%s%s\": %s", item, text, n > 40 ? "..." : "", fault);
}

/* Parses one item; NULL on success, else the fault. */
static const char *parse_cidr(const char *s, size_t n, pp_hook_cidr_t *out) {
  char buf[INET6_ADDRSTRLEN + 1];
  const char *slash = memchr(s, '/', n);
  size_t alen = slash ? (size_t)(slash - s) : n;
  if (alen == 0 || alen >= sizeof buf) return "not an IP address";
  memcpy(buf, s, alen);
  buf[alen] = '\0';
  pp_hook_cidr_t c = {0};
  unsigned max;
  if (memchr(buf, ':', alen)) {
    if (inet_pton(AF_INET6, buf, c.addr) != 1) return "not an IPv6 address";
    c.family = 6;
    max = 128;
  } else {
    if (inet_pton(AF_INET, buf, c.addr) != 1) return "not an IPv4 address (a.b.c.d)";
    c.family = 4;
    max = 32;
  }
  unsigned prefix = max;
  if (slash) {
    const char *d = slash + 1;
    size_t dn = n - alen - 1;
    if (dn == 0 || dn > 3 || (dn > 1 && d[0] == '0')) return "the prefix length is not a number";
    prefix = 0;
    for (size_t i = 0; i < dn; i++) {
      if (d[i] < '0' || d[i] > '9') return "the prefix length is not a number";
      prefix = prefix * 10 + (unsigned)(d[i] - '0');
    }
    if (prefix > max)
      return max == 32 ? "the prefix length must be 0 to 32" : "the prefix length must be 0 to 128";
  }
  for (unsigned bit = prefix; bit < max; bit++)
    if (c.addr[bit / 8] & (0x80 >> (bit % 8))) return "host bits are set past the prefix";
  if (c.family == 6 && prefix >= 96 && memcmp(c.addr, mapped_prefix, 12) == 0) {
    memmove(c.addr, c.addr + 12, 4);
    memset(c.addr + 4, 0, 12);
    c.family = 4;
    prefix -= 96;
  }
  c.prefix = (uint8_t)prefix;
  *out = c;
  return NULL;
}

static bool blank(char c) {
  return c == ' ' || c == '\t';
}

#define STR_(x) #x
#define STR(x) STR_(x)

pp_err_t pp_hook_allow_parse(const char *s, pp_hook_allow_t *out, char *why) {
  pp_hook_allow_t r = {.n = 0};
  const char *p = s ? s : "";
  while (blank(*p)) p++;
  if (*p == '\0') {
    out->n = 0;
    return PP_OK;
  }
  for (size_t item = 1;; item++) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    const char *t = p;
    while (n && blank(*t)) t++, n--;
    while (n && blank(t[n - 1])) n--;
    const char *fault = NULL;
    if (n == 0)
      fault = "empty";
    else if (r.n == PP_HOOK_ALLOW_MAX)
      fault = "more than " STR(PP_HOOK_ALLOW_MAX) " blocks";
    else
      fault = parse_cidr(t, n, &r.items[r.n]);
    if (fault) {
      item_fault(why, item, t, n, fault);
      return PP_ERR_INVALID_PARAM;
    }
    r.n++;
    if (!comma) break;
    p = comma + 1;
  }
  out->n = r.n;
  memcpy(out->items, r.items, r.n * sizeof r.items[0]);
  return PP_OK;
}
