/* Webhook address policy: every refused range at its edges and inside,
 * public addresses on either side of them, IPv4 forms inside IPv6 judged as
 * IPv4, the allow-list overriding refusals (per family), and the allow-list
 * parser's errors. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "hook/addr.h"

/* Judges the text address `ip` (IPv4 or IPv6) against `allow`. */
static bool allowed(const pp_hook_allow_t *allow, const char *ip, const char **why) {
  if (strchr(ip, ':')) {
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    if (inet_pton(AF_INET6, ip, &a6.sin6_addr) != 1) {
      fprintf(stderr, "bad test address %s\n", ip);
      return false;
    }
    return pp_hook_addr_allowed(allow, (const struct sockaddr *)&a6, sizeof a6, why);
  }
  struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(443)};
  if (inet_pton(AF_INET, ip, &a4.sin_addr) != 1) {
    fprintf(stderr, "bad test address %s\n", ip);
    return false;
  }
  return pp_hook_addr_allowed(allow, (const struct sockaddr *)&a4, sizeof a4, why);
}

static void expect(const pp_hook_allow_t *allow, const char *ip, const char *refused_as) {
  const char *why = "(unset)";
  bool ok = allowed(allow, ip, &why);
  if (ok != (refused_as == NULL) || (refused_as && strcmp(why, refused_as) != 0))
    fprintf(stderr, "%s: %s (%s), expected %s\n", ip, ok ? "allowed" : "refused", ok ? "" : why,
            refused_as ? refused_as : "allowed");
  CHECK_EQ_INT(ok, refused_as == NULL);
  if (refused_as) CHECK_EQ_STR(why, refused_as);
}

static void test_default_policy(void) {
  static const char *const cases[][2] = {
      /* Public unicast, including neighbours of refused ranges. */
      {"8.8.8.8", NULL},
      {"1.1.1.1", NULL},
      {"9.255.255.255", NULL},
      {"11.0.0.0", NULL},
      {"100.63.255.255", NULL},
      {"100.128.0.0", NULL},
      {"126.255.255.255", NULL},
      {"128.0.0.0", NULL},
      {"169.253.255.255", NULL},
      {"169.255.0.0", NULL},
      {"172.15.255.255", NULL},
      {"172.32.0.0", NULL},
      {"192.167.255.255", NULL},
      {"192.169.0.0", NULL},
      {"198.17.255.255", NULL},
      {"198.20.0.0", NULL},
      {"223.255.255.255", NULL},
      {"2606:4700:4700::1111", NULL},
      {"2001:4860:4860::8888", NULL},
      {"2001:db9::1", NULL},
      {"fbff:ffff::1", NULL},
      {"fe00::1", NULL},
      /* Refused IPv4. */
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "this network (0.0.0.0/8)"},
      {"10.0.0.0", "private (RFC 1918)"},
      {"10.255.255.255", "private (RFC 1918)"},
      {"100.64.0.0", "shared address space (100.64.0.0/10)"},
      {"100.127.255.255", "shared address space (100.64.0.0/10)"},
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"169.254.0.1", "link-local"},
      {"169.254.169.254", "cloud metadata"},
      {"169.254.169.253", "link-local"},
      {"172.16.0.0", "private (RFC 1918)"},
      {"172.31.255.255", "private (RFC 1918)"},
      {"192.0.0.8", "IETF protocol assignments (192.0.0.0/24)"},
      {"192.0.2.1", "documentation"},
      {"192.168.1.1", "private (RFC 1918)"},
      {"198.18.0.1", "benchmarking (198.18.0.0/15)"},
      {"198.19.255.255", "benchmarking (198.18.0.0/15)"},
      {"198.51.100.7", "documentation"},
      {"203.0.113.9", "documentation"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved (240.0.0.0/4)"},
      {"255.255.255.254", "reserved (240.0.0.0/4)"},
      {"255.255.255.255", "broadcast"},
      /* Refused IPv6. */
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"::2", "IPv4-compatible (deprecated)"},
      {"::8.8.8.8", "IPv4-compatible (deprecated)"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fec0::1", "site-local (deprecated)"},
      {"fc00::1", "unique local"},
      {"fdff:ffff::1", "unique local"},
      {"fd00:ec2::254", "cloud metadata"},
      {"ff02::1", "multicast"},
      {"ff0e::1", "multicast"},
      {"2001:db8::1", "documentation"},
      {"100::1", "discard-only (100::/64)"},
      {"64:ff9b:1::1", "local-use NAT64 (64:ff9b:1::/48)"},
      /* IPv4 inside IPv6: judged as the IPv4 address. */
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:7f00:1", "loopback"},
      {"::ffff:169.254.169.254", "cloud metadata"},
      {"::ffff:10.1.2.3", "private (RFC 1918)"},
      {"::ffff:0.0.0.0", "unspecified"},
      {"::ffff:255.255.255.255", "broadcast"},
      {"::ffff:8.8.8.8", NULL},
      {"64:ff9b::127.0.0.1", "loopback"},
      {"64:ff9b::192.168.0.1", "private (RFC 1918)"},
      {"64:ff9b::8.8.8.8", NULL},
      {"2002:7f00:1::", "loopback"},
      {"2002:a9fe:a9fe::1", "cloud metadata"},
      {"2002:0808:0808::1", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect(NULL, cases[i][0], cases[i][1]);

  /* An empty list is the same as none. */
  pp_hook_allow_t empty = {.n = 0};
  expect(&empty, "127.0.0.1", "loopback");
  expect(&empty, "8.8.8.8", NULL);
}

static void test_sockaddr_edges(void) {
  const char *why = NULL;
  struct sockaddr_in a4 = {.sin_family = AF_INET};
  inet_pton(AF_INET, "8.8.8.8", &a4.sin_addr);
  CHECK(pp_hook_addr_allowed(NULL, (struct sockaddr *)&a4, sizeof a4, NULL));
  /* Too short for its family, another family, or nothing: refused. */
  CHECK(!pp_hook_addr_allowed(NULL, (struct sockaddr *)&a4, sizeof a4 - 1, &why));
  CHECK_EQ_STR(why, "not an IPv4 or IPv6 address");
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
  inet_pton(AF_INET6, "2606:4700::1", &a6.sin6_addr);
  CHECK(pp_hook_addr_allowed(NULL, (struct sockaddr *)&a6, sizeof a6, NULL));
  CHECK(!pp_hook_addr_allowed(NULL, (struct sockaddr *)&a6, sizeof(struct sockaddr_in), NULL));
  struct sockaddr un = {.sa_family = AF_UNIX};
  why = NULL;
  CHECK(!pp_hook_addr_allowed(NULL, &un, sizeof un, &why));
  CHECK(why != NULL);
  CHECK(!pp_hook_addr_allowed(NULL, NULL, 0, NULL));
  /* The port plays no part. */
  a4.sin_port = htons(22);
  CHECK(pp_hook_addr_allowed(NULL, (struct sockaddr *)&a4, sizeof a4, NULL));
}

static void test_allow_list(void) {
  pp_hook_allow_t allow;
  char why[PP_HOOK_WHY_SIZE] = "";
  CHECK_EQ_INT(pp_hook_allow_parse("127.0.0.0/8,::1/128,10.0.0.0/8", &allow, why), PP_OK);
  CHECK_EQ_INT(allow.n, 3);
  expect(&allow, "127.0.0.1", NULL);
  expect(&allow, "127.1.2.3", NULL);
  expect(&allow, "::ffff:127.0.0.1", NULL); /* mapped: judged as 127.0.0.1 */
  expect(&allow, "::1", NULL);
  expect(&allow, "10.20.30.40", NULL);
  expect(&allow, "64:ff9b::10.0.0.1", NULL); /* NAT64 to an allowed IPv4 */
  expect(&allow, "192.168.1.1", "private (RFC 1918)");
  expect(&allow, "169.254.169.254", "cloud metadata");
  expect(&allow, "::2", "IPv4-compatible (deprecated)");
  expect(&allow, "8.8.8.8", NULL);

  /* The metadata address only when listed itself (or in a listed block). */
  CHECK_EQ_INT(pp_hook_allow_parse(" 169.254.169.254 , fd00::/8 ", &allow, why), PP_OK);
  CHECK_EQ_INT(allow.n, 2);
  CHECK_EQ_INT(allow.items[0].prefix, 32);
  expect(&allow, "169.254.169.254", NULL);
  expect(&allow, "169.254.169.253", "link-local");
  expect(&allow, "fd00:ec2::254", NULL);
  expect(&allow, "fc00::1", "unique local");

  /* Families stay apart: ::/0 is all of IPv6 and none of IPv4. */
  CHECK_EQ_INT(pp_hook_allow_parse("::/0", &allow, why), PP_OK);
  expect(&allow, "fe80::1", NULL);
  expect(&allow, "::1", NULL);
  expect(&allow, "127.0.0.1", "loopback");
  expect(&allow, "::ffff:127.0.0.1", "loopback");
  CHECK_EQ_INT(pp_hook_allow_parse("0.0.0.0/0", &allow, why), PP_OK);
  expect(&allow, "127.0.0.1", NULL);
  expect(&allow, "::ffff:10.0.0.1", NULL);
  expect(&allow, "::1", "loopback");

  /* An IPv4-mapped block is stored as IPv4. */
  CHECK_EQ_INT(pp_hook_allow_parse("::ffff:192.168.0.0/112", &allow, why), PP_OK);
  CHECK_EQ_INT(allow.items[0].family, 4);
  CHECK_EQ_INT(allow.items[0].prefix, 16);
  expect(&allow, "192.168.44.1", NULL);
  expect(&allow, "::ffff:192.168.44.1", NULL);
  expect(&allow, "192.169.0.0", NULL);
  expect(&allow, "10.0.0.1", "private (RFC 1918)");

  /* Odd prefix lengths. */
  CHECK_EQ_INT(pp_hook_allow_parse("100.64.0.0/10,fe80::/10,172.16.0.0/13", &allow, why), PP_OK);
  expect(&allow, "100.127.255.255", NULL);
  expect(&allow, "febf::1", NULL);
  expect(&allow, "172.23.255.255", NULL);
  expect(&allow, "172.24.0.0", "private (RFC 1918)");

  /* Empty lists. */
  allow.n = 5;
  CHECK_EQ_INT(pp_hook_allow_parse("", &allow, why), PP_OK);
  CHECK_EQ_INT(allow.n, 0);
  allow.n = 5;
  CHECK_EQ_INT(pp_hook_allow_parse(" \t ", &allow, why), PP_OK);
  CHECK_EQ_INT(allow.n, 0);
  allow.n = 5;
  CHECK_EQ_INT(pp_hook_allow_parse(NULL, &allow, NULL), PP_OK);
  CHECK_EQ_INT(allow.n, 0);

  /* The most a list holds. */
  char big[PP_HOOK_ALLOW_MAX * 16 + 32] = "";
  for (int i = 0; i < PP_HOOK_ALLOW_MAX; i++)
    snprintf(big + strlen(big), sizeof big - strlen(big), "%s10.%d.0.0/16", i ? "," : "", i);
  CHECK_EQ_INT(pp_hook_allow_parse(big, &allow, why), PP_OK);
  CHECK_EQ_INT(allow.n, PP_HOOK_ALLOW_MAX);
  expect(&allow, "10.63.1.1", NULL);
  expect(&allow, "10.64.1.1", "private (RFC 1918)");
  strcat(big, ",10.64.0.0/16");
  CHECK_EQ_INT(pp_hook_allow_parse(big, &allow, why), PP_ERR_INVALID_PARAM);
  CHECK(strstr(why, "item 65") && strstr(why, "more than 64 blocks"));
  CHECK_EQ_INT(allow.n, PP_HOOK_ALLOW_MAX); /* untouched */
}

static void test_allow_errors(void) {
  static const char *const cases[][2] = {
      {",", "item 1 \"\": empty"},
      {"10.0.0.0/8,", "item 2 \"\": empty"},
      {"10.0.0.0/8,,::1", "item 2 \"\": empty"},
      {"10.0.0.0/33", "item 1 \"10.0.0.0/33\": the prefix length must be 0 to 32"},
      {"::/129", "item 1 \"::/129\": the prefix length must be 0 to 128"},
      {"10.0.0.1/8", "item 1 \"10.0.0.1/8\": host bits are set past the prefix"},
      {"fe80::1/10", "host bits are set past the prefix"},
      {"10.0.0.0/", "the prefix length is not a number"},
      {"10.0.0.0/08", "the prefix length is not a number"},
      {"10.0.0.0/+8", "the prefix length is not a number"},
      {"10.0.0.0/8/8", "the prefix length is not a number"},
      {"10.0.0.0/1000", "the prefix length is not a number"},
      {"10.0.0.0 /8", "not an IPv4 address (a.b.c.d)"},
      {"10.0.0/8", "not an IPv4 address (a.b.c.d)"},
      {"010.0.0.0/8", "not an IPv4 address (a.b.c.d)"},
      {"256.0.0.0", "not an IPv4 address (a.b.c.d)"},
      {"localhost", "not an IPv4 address (a.b.c.d)"},
      {"0x7f000001", "not an IPv4 address (a.b.c.d)"},
      {"/8", "not an IP address"},
      {"::1::2", "not an IPv6 address"},
      {"fe80::1%eth0", "not an IPv6 address"},
      {"[::1]/128", "not an IPv6 address"},
      {"10.0.0.0/8;127.0.0.1", "item 1"},
      {"127.0.0.1,\x01\x02", "item 2 \"??\": not an IPv4 address (a.b.c.d)"},
      {"1111111111111111111111111111111111111111111111111111111111111111",
       "item 1 \"1111111111111111111111111111111111111111...\": not an IP address"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pp_hook_allow_t allow = {.n = 7};
    char why[PP_HOOK_WHY_SIZE] = "";
    CHECK_EQ_INT(pp_hook_allow_parse(cases[i][0], &allow, why), PP_ERR_INVALID_PARAM);
    CHECK_EQ_INT(allow.n, 7);
    if (!strstr(why, cases[i][1])) fprintf(stderr, "\"%s\": why \"%s\"\n", cases[i][0], why);
    CHECK(strstr(why, cases[i][1]) != NULL);
    CHECK_EQ_INT(pp_hook_allow_parse(cases[i][0], &allow, NULL), PP_ERR_INVALID_PARAM);
  }
}

int main(void) {
  test_default_policy();
  test_sockaddr_edges();
  test_allow_list();
  test_allow_errors();
  return check_report("test_hook_addr");
}
