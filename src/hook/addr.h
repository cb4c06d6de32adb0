/* addr.h: which addresses a webhook may connect to.  Public unicast
 * addresses are allowed; loopback, private, link-local (with the cloud
 * metadata address 169.254.169.254), shared (CGNAT), unique local,
 * unspecified, multicast, broadcast, reserved, documentation and
 * benchmarking ranges are refused, unless an operator's allow-list
 * ("127.0.0.0/8,::1/128,10.0.0.0/8") names the address.
 *
 * The check is on the address actually connected to (after DNS), so that a
 * name resolving to 127.0.0.1 is refused like the literal.  IPv6 forms that
 * carry an IPv4 address are judged as that address: IPv4-mapped
 * (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::);
 * the deprecated IPv4-compatible ::a.b.c.d range is refused whole. */
#ifndef PP_HOOK_ADDR_H
#define PP_HOOK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"

#define PP_HOOK_ALLOW_MAX 64 /* CIDR blocks in an allow-list */
#define PP_HOOK_WHY_SIZE 128 /* room for pp_hook_allow_parse's `why` */

/* One CIDR block.  An IPv4-mapped IPv6 block (::ffff:0:0/96 or longer) is
 * stored as the IPv4 block it covers. */
typedef struct {
  uint8_t family;   /* 4 or 6 */
  uint8_t prefix;   /* 0..32 or 0..128 */
  uint8_t addr[16]; /* IPv4 in the first 4 bytes; host bits are zero */
} pp_hook_cidr_t;

typedef struct {
  pp_hook_cidr_t items[PP_HOOK_ALLOW_MAX];
  size_t n;
} pp_hook_allow_t;

/* pp_hook_allow_parse reads "CIDR[,CIDR...]" into *out: each item an IPv4
 * (dotted quad) or IPv6 address with an optional "/prefix" (none: the one
 * address), spaces around items allowed.  NULL or an all-blank string is an
 * empty list.  An IPv6 block never matches IPv4 addresses (::/0 is all of
 * IPv6, 0.0.0.0/0 all of IPv4).  Errors: PP_ERR_INVALID_PARAM (an empty
 * item, a bad address or prefix, host bits set past the prefix, more than
 * PP_HOOK_ALLOW_MAX items); then `why` (if not NULL, PP_HOOK_WHY_SIZE
 * bytes) names the item and the fault, and *out is untouched. */
pp_err_t pp_hook_allow_parse(const char *s, pp_hook_allow_t *out, char *why);

/* pp_hook_addr_allowed says whether a webhook may connect to `sa` (`len`
 * bytes: a sockaddr_in or sockaddr_in6; the port is not looked at): true
 * for public unicast or an address in `allow` (NULL: an empty list).  When
 * it returns false and `why` is not NULL, *why is a static string naming the
 * refused range ("loopback", "cloud metadata", ...). */
bool pp_hook_addr_allowed(const pp_hook_allow_t *allow, const struct sockaddr *sa, socklen_t len,
                          const char **why);

#endif
