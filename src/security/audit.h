/* audit.h: the events of the audit log (DESIGN.md rules 6 and 7) and the
 * canonical bytes of its leaves, which an independent verifier hashes
 * (leaf hash = SHA-256(0x00 || bytes), merkle.h) and parses.
 *
 * A leaf is one JSON object, UTF-8 (in fact printable ASCII only), no
 * whitespace, with exactly these 14 members in this (sorted) order:
 *
 *   account            the account the event is about ("" none)
 *   event              the kind, e.g. "auth.success" (pp_audit_kind_name)
 *   ip                 the peer address of the connection ("" none)
 *   outcome            "ok", or the error in lower case ("not_found")
 *   principal          who: a SID (AC…, SK…), "operator", "cli:<user>"
 *   principal_account  the account of the principal's credential ("" none)
 *   principal_kind     pp_audit_principal_name
 *   request            "<METHOD> <path>" of an HTTP request ("" none)
 *   resources          array of the SIDs (or "carrier:NAME" style names)
 *                      the event touched, first occurrence order, no repeats
 *   seq                the leaf index (0-based), an integer
 *   session            32 lowercase hex ("" none), see docs/internals/audit.md
 *   time_ms            Unix milliseconds, an integer
 *   user_agent         the User-Agent header ("" none)
 *   v                  1, the format version
 *
 * Strings hold only bytes 0x20..0x7E; any other byte of an input is
 * written as '?', and '"' and '\' are escaped as \" and \\ (nothing else
 * is escaped).  user_agent is cut to PP_AUDIT_UA_MAX bytes and request to
 * PP_AUDIT_REQUEST_MAX.  Integers are decimal without leading zeros, at
 * most 2^53 - 1.  So the bytes are exactly what RFC 8785 (JCS), or
 * JSON.stringify of the parsed object, gives back: a verifier can check
 * that the fields it shows are the fields that were hashed.
 *
 * Needs nothing but core.  Errors: PP_ERR_INVALID_PARAM (an event outside
 * the contract), PP_ERR_BAD_REQUEST (bytes that are not a canonical leaf),
 * PP_ERR_NOMEM. */
#ifndef PP_SECURITY_AUDIT_H
#define PP_SECURITY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/ids.h"

/* X(enum, name).  Append only: the names are in signed leaves. */
#define PP_AUDIT_KINDS(X)                                              \
  X(PP_AUDIT_AUTH_SUCCESS, "auth.success")                             \
  X(PP_AUDIT_AUTH_FAILURE, "auth.failure")                             \
  X(PP_AUDIT_OPERATOR_REQUEST, "operator.request")                     \
  X(PP_AUDIT_OPERATOR_TOKEN, "operator.token_create")                  \
  X(PP_AUDIT_TOKEN_SECONDARY_CREATE, "auth_token.secondary_create")    \
  X(PP_AUDIT_TOKEN_SECONDARY_DELETE, "auth_token.secondary_delete")    \
  X(PP_AUDIT_TOKEN_PROMOTE, "auth_token.promote")                      \
  X(PP_AUDIT_KEY_CREATE, "key.create")                                 \
  X(PP_AUDIT_KEY_UPDATE, "key.update")                                 \
  X(PP_AUDIT_KEY_DELETE, "key.delete")                                 \
  X(PP_AUDIT_ACCOUNT_CREATE, "account.create")                         \
  X(PP_AUDIT_ACCOUNT_UPDATE, "account.update")                         \
  X(PP_AUDIT_ACCOUNT_SUSPEND, "account.suspend")                       \
  X(PP_AUDIT_ACCOUNT_ACTIVATE, "account.activate")                     \
  X(PP_AUDIT_ACCOUNT_CLOSE, "account.close")                           \
  X(PP_AUDIT_NUMBER_CREATE, "number.create")                           \
  X(PP_AUDIT_NUMBER_UPDATE, "number.update")                           \
  X(PP_AUDIT_NUMBER_RELEASE, "number.release")                         \
  X(PP_AUDIT_SERVICE_CREATE, "messaging_service.create")               \
  X(PP_AUDIT_SERVICE_UPDATE, "messaging_service.update")               \
  X(PP_AUDIT_SERVICE_DELETE, "messaging_service.delete")               \
  X(PP_AUDIT_SERVICE_NUMBER_ADD, "messaging_service.number_add")       \
  X(PP_AUDIT_SERVICE_NUMBER_REMOVE, "messaging_service.number_remove") \
  X(PP_AUDIT_CARRIER_PUT, "config.carrier_put")                        \
  X(PP_AUDIT_CARRIER_DELETE, "config.carrier_delete")                  \
  X(PP_AUDIT_ROUTE_PUT, "config.route_put")                            \
  X(PP_AUDIT_ROUTE_DELETE, "config.route_delete")                      \
  X(PP_AUDIT_SENDER_ADD, "config.sender_add")                          \
  X(PP_AUDIT_SENDER_REMOVE, "config.sender_remove")                    \
  X(PP_AUDIT_CONTENT_READ, "content.read")                             \
  X(PP_AUDIT_CONTENT_WRITE, "content.write")                           \
  X(PP_AUDIT_EXPORT, "export")                                         \
  X(PP_AUDIT_VERIFY_SERVICE_CREATE, "verify.service_create")           \
  X(PP_AUDIT_VERIFY_SERVICE_UPDATE, "verify.service_update")           \
  X(PP_AUDIT_VERIFY_SERVICE_DELETE, "verify.service_delete")           \
  X(PP_AUDIT_VERIFY_ENTITY_CREATE, "verify.entity_create")             \
  X(PP_AUDIT_VERIFY_ENTITY_DELETE, "verify.entity_delete")             \
  X(PP_AUDIT_FACTOR_REGISTERED, "verify.factor_registered")            \
  X(PP_AUDIT_FACTOR_VERIFIED, "verify.factor_verified")                \
  X(PP_AUDIT_FACTOR_DELETED, "verify.factor_deleted")                  \
  X(PP_AUDIT_CHALLENGE_CREATED, "verify.challenge_created")            \
  X(PP_AUDIT_CHALLENGE_APPROVED, "verify.challenge_approved")          \
  X(PP_AUDIT_CHALLENGE_DENIED, "verify.challenge_denied")              \
  X(PP_AUDIT_AUTH_FAILURES, "auth.failures")                           \
  X(PP_AUDIT_NUMBER_OFFER, "config.number_add")                        \
  X(PP_AUDIT_NUMBER_WITHDRAW, "config.number_remove")                  \
  X(PP_AUDIT_STAFF_ADD, "staff.add")                                   \
  X(PP_AUDIT_STAFF_REMOVE, "staff.remove")                             \
  X(PP_AUDIT_STAFF_PASSKEY, "staff.passkey_register")                  \
  X(PP_AUDIT_STAFF_SIGN_IN, "staff.sign_in")                           \
  X(PP_AUDIT_STAFF_SIGN_OUT, "staff.sign_out")                         \
  X(PP_AUDIT_STAFF_UV, "staff.uv")                                     \
  X(PP_AUDIT_LOCKBOX_REQUEST, "lockbox.request")                       \
  X(PP_AUDIT_LOCKBOX_APPROVE, "lockbox.approve")                       \
  X(PP_AUDIT_LOCKBOX_DENY, "lockbox.deny")                             \
  X(PP_AUDIT_LOCKBOX_REVOKE, "lockbox.revoke")                         \
  X(PP_AUDIT_LOCKBOX_READ, "lockbox.read")                             \
  X(PP_AUDIT_LOCKBOX_SETTINGS, "lockbox.settings_update")              \
  X(PP_AUDIT_CHANGE_REQUEST, "change.request")                         \
  X(PP_AUDIT_CHANGE_DECIDE, "change.decide")

typedef enum {
#define PP_AUDIT_KIND_ENUM(e, name) e,
  PP_AUDIT_KINDS(PP_AUDIT_KIND_ENUM)
#undef PP_AUDIT_KIND_ENUM
      PP_AUDIT__KIND_COUNT
} pp_audit_kind_t;

/* Who acted.  Append only. */
#define PP_AUDIT_PRINCIPALS(X)                                         \
  X(PP_AUDIT_BY_NONE, "none")         /* no credential was accepted */ \
  X(PP_AUDIT_BY_ACCOUNT, "account")   /* an auth token (AC… SID) */  \
  X(PP_AUDIT_BY_KEY, "key")           /* an API key (SK… SID) */     \
  X(PP_AUDIT_BY_OPERATOR, "operator") /* the operator token */         \
  X(PP_AUDIT_BY_CLI, "cli")           /* pipit admin on the machine */ \
  X(PP_AUDIT_BY_SYSTEM, "system")     /* Pipit itself */               \
  X(PP_AUDIT_BY_STAFF, "staff")       /* a staff member (WebAuthn) */

typedef enum {
#define PP_AUDIT_PRINCIPAL_ENUM(e, name) e,
  PP_AUDIT_PRINCIPALS(PP_AUDIT_PRINCIPAL_ENUM)
#undef PP_AUDIT_PRINCIPAL_ENUM
      PP_AUDIT__PRINCIPAL_COUNT
} pp_audit_principal_t;

#define PP_AUDIT_FORMAT_VERSION 1
#define PP_AUDIT_PRINCIPAL_SIZE 64
#define PP_AUDIT_IP_SIZE 46 /* INET6_ADDRSTRLEN */
#define PP_AUDIT_SESSION_SIZE 33
#define PP_AUDIT_OUTCOME_SIZE 40
#define PP_AUDIT_UA_MAX 256
#define PP_AUDIT_REQUEST_MAX 512
#define PP_AUDIT_RESOURCE_MAX 128 /* one resource name, bytes */
#define PP_AUDIT_MAX_RESOURCES 1000

/* One event.  Text fields are NUL-terminated; the pointers belong to the
 * caller and must live until the write that carries the event is done. */
typedef struct {
  pp_audit_kind_t kind;
  pp_audit_principal_t principal_kind;
  char principal[PP_AUDIT_PRINCIPAL_SIZE];
  char principal_account[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char ip[PP_AUDIT_IP_SIZE];
  char session[PP_AUDIT_SESSION_SIZE];
  char outcome[PP_AUDIT_OUTCOME_SIZE]; /* "": set from the carrying write's result */
  const char *user_agent;              /* NULL: none */
  const char *request;                 /* NULL: none */
  const char *const *resources;        /* nresources names, at most PP_AUDIT_RESOURCE_MAX long */
  size_t nresources;                   /* at most PP_AUDIT_MAX_RESOURCES */
  int64_t time_ms;                     /* 0: the store stamps the time it appends */
  int64_t seq;                         /* set by the store: the leaf index */
} pp_audit_event_t;

/* pp_audit_kind_name returns the name of `k` ("?" when out of range);
 * pp_audit_kind_parse finds the kind named `name`. */
const char *pp_audit_kind_name(pp_audit_kind_t k);
bool pp_audit_kind_parse(const char *name, pp_audit_kind_t *out);

/* The same for principal kinds. */
const char *pp_audit_principal_name(pp_audit_principal_t p);
bool pp_audit_principal_parse(const char *name, pp_audit_principal_t *out);

/* pp_audit_outcome writes "ok" for PP_OK, else the error's name in lower
 * case without "pp_err_" ("not_found"), into `out`. */
void pp_audit_outcome(pp_err_t e, char out[PP_AUDIT_OUTCOME_SIZE]);

/* pp_audit_resource_type names what a resource SID is by its prefix:
 * "message" (SM, MM), "number" (PN), "messaging_service" (MG), "account"
 * (AC), "key" (SK), "verify_service" (VA), "entity" (YE), "factor" (YF),
 * "challenge" (YC), "access_request" (LR), "config" (a "carrier:" /
 * "route:" / "sender:" / "number:" name), "change" (a "change:CR…" change
 * request), or
 * "other". */
const char *pp_audit_resource_type(const char *sid);

/* pp_audit_leaf_encode appends the canonical leaf of `ev` (with its seq and
 * time_ms, both 0..2^53-1) to `out`.  Errors: PP_ERR_INVALID_PARAM (a kind
 * or principal kind out of range, too many or too long resources, seq or
 * time out of range), PP_ERR_NOMEM (the buffer failed). */
pp_err_t pp_audit_leaf_encode(const pp_audit_event_t *ev, pp_buf_t *out);

/* pp_audit_leaf_decode reads the leaf `leaf` (`len` bytes) into *out,
 * strings that do not fit the event's arrays and the resource list being
 * allocated in `a`.  It accepts exactly the bytes pp_audit_leaf_encode
 * writes (it re-encodes and compares), so a leaf that decodes is canonical.
 * Errors: PP_ERR_BAD_REQUEST (anything else, including an unknown kind),
 * PP_ERR_NOMEM. */
pp_err_t pp_audit_leaf_decode(const void *leaf, size_t len, pp_arena_t *a, pp_audit_event_t *out);

#endif
