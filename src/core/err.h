/* err.h: the one Pipit error table: every failure has a name, a fixed
 * number, a class, an HTTP status and, where Twilio defines one, a Twilio
 * error code and message. */
#ifndef PP_CORE_ERR_H
#define PP_CORE_ERR_H

#include <stddef.h>

/* X(name, number, class, http_status, twilio_code, message)
 *
 * `number` is the enum value, fixed forever: the audit log signs outcomes
 * by name (security/audit.h), so a name and its number never change or get
 * reused once released, and a row is never removed.  Numbers are grouped by
 * `class` in ranges of a thousand (the class is number / 1000); a new row
 * takes the next free number of its class.  test/unit/test_core_err.c pins
 * every row: adding one means adding a line there.
 *
 * `class` says whose failure it is (pp_err_class_t below); `http_status`
 * answers a request that failed with it; `twilio_code` is Twilio's error
 * code, or 0 when Twilio has none (the HTTP status is the code on the wire
 * then).  `message` is a printf format that takes at most one string
 * argument (the context detail), or none. */
#define PP_ERR_TABLE(X)                                                                            \
  X(PP_OK, 0, OK, 200, 0, "OK")                                                                    \
  /* 1000-1999 server: Pipit or its host failed; the client may retry. */                          \
  X(PP_ERR_NOMEM, 1000, SERVER, 500, 0, "Out of memory")                                           \
  X(PP_ERR_INTERNAL, 1001, SERVER, 500, 0, "Internal error")                                       \
  X(PP_ERR_STORE, 1002, SERVER, 500, 0, "The store failed")                                        \
  X(PP_ERR_IO, 1003, SERVER, 500, 0, "Input/output error")                                         \
  X(PP_ERR_AGAIN, 1004, SERVER, 503, 0, "Try again")                                               \
  X(PP_ERR_CLOSED, 1005, SERVER, 503, 0, "Shutting down")                                          \
  X(PP_ERR_STORE_FULL, 1006, SERVER, 503, 20503,                                                   \
    "Service unavailable: the store cannot write; try again later")                                \
  X(PP_ERR_HTTP_BUSY, 1007, SERVER, 503, 0, "Too many connections")                                \
  /* Delivery outcomes are recorded on the message (its error_code), never                         \
     an answer. */                                                                                 \
  X(PP_ERR_DELIVERY_NO_ROUTE, 1008, SERVER, 500, 21612, "No route to the destination")             \
  X(PP_ERR_DELIVERY_ENCODE, 1009, SERVER, 500, 30008, "The message could not be encoded")          \
  /* 2000-2999 client: the request is wrong; the client must change it. */                         \
  X(PP_ERR_TOO_BIG, 2000, CLIENT, 413, 0, "The request body is too large")                         \
  X(PP_ERR_BAD_REQUEST, 2001, CLIENT, 400, 0, "Bad request")                                       \
  X(PP_ERR_NOT_FOUND, 2002, CLIENT, 404, 20404, "The requested resource %s was not found")         \
  X(PP_ERR_METHOD, 2003, CLIENT, 405, 20004, "Method not allowed")                                 \
  X(PP_ERR_CONFLICT, 2004, CLIENT, 409, 0, "Conflict")                                             \
  X(PP_ERR_INVALID_PARAM, 2005, CLIENT, 400, 21200, "Invalid parameter: %s")                       \
  X(PP_ERR_TO_MISSING, 2006, CLIENT, 400, 21604, "A 'To' phone number is required.")               \
  X(PP_ERR_TO_INVALID, 2007, CLIENT, 400, 21211, "Invalid 'To' Phone Number: %s")                  \
  X(PP_ERR_FROM_MISSING, 2008, CLIENT, 400, 21603, "A 'From' phone number is required.")           \
  X(PP_ERR_FROM_INVALID, 2009, CLIENT, 400, 21212, "Invalid From Number (caller ID): %s")          \
  X(PP_ERR_FROM_NOT_OWNED, 2010, CLIENT, 400, 21606,                                               \
    "The From phone number %s is not a valid, SMS-capable inbound phone "                          \
    "number or short code for your account.")                                                      \
  X(PP_ERR_BODY_MISSING, 2011, CLIENT, 400, 21602, "Message body is required.")                    \
  X(PP_ERR_BODY_TOO_LONG, 2012, CLIENT, 400, 21617,                                                \
    "The concatenated message body exceeds the 1600 character limit.")                             \
  X(PP_ERR_MEDIA_URL, 2013, CLIENT, 400, 21620, "Invalid media URL(s): %s")                        \
  X(PP_ERR_VALIDITY, 2014, CLIENT, 400, 21609, "Invalid ValidityPeriod: %s")                       \
  X(PP_ERR_STATUS_CALLBACK, 2015, CLIENT, 400, 21609, "Invalid StatusCallback url: %s")            \
  X(PP_ERR_SEND_AT_MISSING, 2016, CLIENT, 400, 35111,                                              \
    "SendAt is required when ScheduleType is fixed.")                                              \
  X(PP_ERR_SEND_AT_RANGE, 2017, CLIENT, 400, 35114,                                                \
    "SendAt time must be between 900 seconds and 35 days in the future.")                          \
  X(PP_ERR_SCHEDULE_SERVICE, 2018, CLIENT, 400, 35118,                                             \
    "MessagingServiceSid is required to schedule a message.")                                      \
  X(PP_ERR_SERVICE_INVALID, 2019, CLIENT, 400, 21705, "The Messaging Service Sid %s is invalid.")  \
  X(PP_ERR_NOT_CANCELABLE, 2020, CLIENT, 400, 30409,                                               \
    "Message cannot be canceled: only scheduled messages can be canceled.")                        \
  X(PP_ERR_MSG_STATUS, 2021, CLIENT, 400, 20001, "Invalid message status: %s")                     \
  X(PP_ERR_ACCOUNT_STATUS, 2022, CLIENT, 400, 20001, "Invalid account status: %s")                 \
  X(PP_ERR_ACCOUNT_CLOSED, 2023, CLIENT, 400, 20001, "A closed account cannot be changed.")        \
  X(PP_ERR_MAIN_ACCOUNT, 2024, CLIENT, 403, 20005,                                                 \
    "The main account cannot be suspended or closed through the API.")                             \
  X(PP_ERR_SUBACCOUNT_CREATE, 2025, CLIENT, 403, 20005, "Subaccounts cannot create subaccounts.")  \
  X(PP_ERR_NO_SECONDARY, 2026, CLIENT, 404, 20404, "The requested resource %s was not found")      \
  X(PP_ERR_FRIENDLY_NAME, 2027, CLIENT, 400, 21200, "FriendlyName is too long: %s")                \
  X(PP_ERR_NUMBER_INVALID, 2028, CLIENT, 400, 21421, "PhoneNumber is invalid: %s")                 \
  X(PP_ERR_NUMBER_TAKEN, 2029, CLIENT, 400, 21422, "PhoneNumber is not available: %s")             \
  X(PP_ERR_URL_INVALID, 2030, CLIENT, 400, 21502, "Invalid url: %s")                               \
  X(PP_ERR_HTTP_METHOD, 2031, CLIENT, 400, 21200, "Invalid method, use GET or POST: %s")           \
  X(PP_ERR_PARAM_MISSING, 2032, CLIENT, 400, 20001,                                                \
    "Missing required parameter %s in the post body")                                              \
  X(PP_ERR_SERVICE_NOT_FOUND, 2033, CLIENT, 400, 21701,                                            \
    "The Messaging Service %s does not exist.")                                                    \
  X(PP_ERR_SERVICE_NO_SENDERS, 2034, CLIENT, 400, 21704,                                           \
    "The Messaging Service %s contains no phone numbers.")                                         \
  X(PP_ERR_SENDER_INVALID, 2035, CLIENT, 400, 21421,                                               \
    "PhoneNumberSid %s is not a phone number of this account.")                                    \
  X(PP_ERR_SENDER_IN_SERVICE, 2036, CLIENT, 400, 21712,                                            \
    "Phone Number %s is already associated with a Messaging Service.")                             \
  X(PP_ERR_USECASE, 2037, CLIENT, 400, 21713, "Messaging Service Use Case is invalid: %s")         \
  X(PP_ERR_VERIFY_PARAM, 2038, CLIENT, 400, 60200, "Invalid parameter: %s")                        \
  X(PP_ERR_VERIFY_RATE_LIMITS_MAX, 2039, CLIENT, 400, 60207,                                       \
    "Max rate limits per service reached")                                                         \
  X(PP_ERR_VERIFY_BUCKETS_MAX, 2040, CLIENT, 400, 60210, "Max Buckets per Rate limit reached")     \
  X(PP_ERR_VERIFY_BUCKET_INTERVAL, 2041, CLIENT, 400, 60211,                                       \
    "Bucket with the given Interval already exists")                                               \
  X(PP_ERR_VERIFY_CONCURRENT, 2042, CLIENT, 429, 60212,                                            \
    "Too many concurrent requests for phone number %s")                                            \
  X(PP_ERR_VERIFY_CHANNEL, 2043, CLIENT, 400, 60223, "Delivery channel disabled: %s")              \
  X(PP_ERR_VERIFY_REQUEST, 2044, CLIENT, 400, 60306, "The request is invalid: %s")                 \
  X(PP_ERR_VERIFY_FACTOR_UNVERIFIED, 2045, CLIENT, 403, 60318, "Factor is unverified")             \
  X(PP_ERR_VERIFY_CHALLENGE_EXPIRED, 2046, CLIENT, 403, 60323, "Challenge expired")                \
  X(PP_ERR_VERIFY_NO_SENDER, 2047, CLIENT, 400, 60200,                                             \
    "Invalid parameter: the account has no phone number to send codes from")                       \
  X(PP_ERR_HTTP_TIMEOUT, 2048, CLIENT, 408, 0, "The request did not arrive in time")               \
  X(PP_ERR_HTTP_URI_TOO_LONG, 2049, CLIENT, 414, 0, "The request URL is too long")                 \
  X(PP_ERR_HTTP_HEADERS_TOO_LARGE, 2050, CLIENT, 431, 0, "The request header is too large")        \
  X(PP_ERR_HTTP_VERSION, 2051, CLIENT, 505, 0, "HTTP version not supported")                       \
  /* The lockbox (staff/lockbox.h): an access request's status cannot change so. */                \
  X(PP_ERR_LOCKBOX_STATUS, 2060, CLIENT, 409, 0,                                                   \
    "The access request cannot change from its status: %s")                                        \
  /* 2070-2079: change requests (four eyes on carriers and routes). */                             \
  X(PP_ERR_CHANGE_DECIDED, 2070, CLIENT, 409, 0, "The change request was decided already: %s")     \
  X(PP_ERR_CHANGE_EXPIRED, 2071, CLIENT, 409, 0,                                                   \
    "The change request expired 24 hours after it was made: ask again")                            \
  /* 3000-3999 upstream: a peer failed (the customer's webhook server, a                           \
     carrier); recorded on a message or as an alert, never an answer, so                           \
     the status 502 is not sent to anyone. */                                                      \
  X(PP_ERR_HOOK_RETRIEVAL, 3000, UPSTREAM, 502, 11200, "HTTP retrieval failure: %s")               \
  X(PP_ERR_HOOK_CONNECT, 3001, UPSTREAM, 502, 11205, "HTTP connection failure: %s")                \
  X(PP_ERR_HOOK_PROTOCOL, 3002, UPSTREAM, 502, 11206, "HTTP protocol violation: %s")               \
  X(PP_ERR_HOOK_HOST, 3003, UPSTREAM, 502, 11210, "HTTP bad host name: %s")                        \
  X(PP_ERR_HOOK_REDIRECTS, 3004, UPSTREAM, 502, 11215, "HTTP too many redirects: %s")              \
  X(PP_ERR_HOOK_CERT, 3005, UPSTREAM, 502, 11237, "Certificate invalid: %s")                       \
  X(PP_ERR_TWIML_PARSE, 3006, UPSTREAM, 502, 12100, "Document parse failure: %s")                  \
  X(PP_ERR_TWIML_SCHEMA, 3007, UPSTREAM, 502, 12200, "Schema validation warning: %s")              \
  X(PP_ERR_TWIML_CONTENT_TYPE, 3008, UPSTREAM, 502, 12300, "Invalid Content-Type: %s")             \
  X(PP_ERR_REPLY_RATE, 3009, UPSTREAM, 429, 14107, "SMS send rate limit exceeded: %s")             \
  X(PP_ERR_TWIML_MESSAGE_LIMIT, 3010, UPSTREAM, 502, 14109,                                        \
    "TwiML Reply message limit exceeded: %s")                                                      \
  X(PP_ERR_TWIML_VERB, 3011, UPSTREAM, 502, 14110, "Invalid Verb for Message Reply: %s")           \
  X(PP_ERR_DELIVERY_EXPIRED, 3012, UPSTREAM, 502, 30001,                                           \
    "The message expired before it could be sent")                                                 \
  X(PP_ERR_DELIVERY_UNREACHABLE, 3013, UPSTREAM, 502, 30003, "Unreachable destination handset")    \
  X(PP_ERR_DELIVERY_UNKNOWN_HANDSET, 3014, UPSTREAM, 502, 30005, "Unknown destination handset")    \
  X(PP_ERR_DELIVERY_FILTERED, 3015, UPSTREAM, 502, 30007, "The carrier filtered the message")      \
  X(PP_ERR_DELIVERY_REFUSED, 3016, UPSTREAM, 502, 30008, "The carrier refused the message")        \
  X(PP_ERR_DELIVERY_SENDER_REFUSED, 3017, UPSTREAM, 502, 21212, "The carrier refused the sender")  \
  X(PP_ERR_DELIVERY_UNKNOWN, 3018, UPSTREAM, 502, 30008, "The carrier reported a failure")         \
  /* 4000-4999 security: a protection refused or found something                                   \
     (credentials, factors, fraud and abuse guards, address policy,                                \
     integrity). */                                                                                \
  X(PP_ERR_AUTH, 4000, SECURITY, 401, 20003, "Authenticate")                                       \
  X(PP_ERR_FORBIDDEN, 4001, SECURITY, 403, 20003, "Permission denied")                             \
  X(PP_ERR_ACCOUNT_INACTIVE, 4002, SECURITY, 401, 20005, "Account not active")                     \
  X(PP_ERR_KEY_FORBIDDEN, 4003, SECURITY, 403, 20003,                                              \
    "Standard API keys cannot manage accounts, keys or auth tokens.")                              \
  X(PP_ERR_VERIFY_CHECKS, 4004, SECURITY, 429, 60202, "Max check attempts reached")                \
  X(PP_ERR_VERIFY_SENDS, 4005, SECURITY, 429, 60203, "Max send attempts reached")                  \
  X(PP_ERR_VERIFY_FACTOR_ATTEMPTS, 4006, SECURITY, 429, 60310,                                     \
    "Factor verification attempts reached")                                                        \
  X(PP_ERR_VERIFY_FACTOR_FAILED, 4007, SECURITY, 403, 60311, "Factor verification failed")         \
  X(PP_ERR_VERIFY_CHALLENGE_FAILED, 4008, SECURITY, 403, 60324, "Challenge verification failed")   \
  X(PP_ERR_VERIFY_FRAUD_BLOCKED, 4009, SECURITY, 403, 60410,                                       \
    "Verification delivery attempt blocked: %s")                                                   \
  X(PP_ERR_VERIFY_GEO_BLOCKED, 4010, SECURITY, 403, 60605,                                         \
    "Verification delivery attempt blocked: %s")                                                   \
  X(PP_ERR_HOOK_ADDR_REFUSED, 4011, SECURITY, 502, 11200,                                          \
    "HTTP retrieval failure: the webhook address %s is not allowed")                               \
  X(PP_ERR_HTTP_CONN_LIMIT, 4012, SECURITY, 429, 20429, "Too many connections from this address")  \
  X(PP_ERR_CORRUPT, 4013, SECURITY, 500, 0, "A stored value failed its integrity check")           \
  /* The sign-in guard (api/guard.c). */                                                           \
  X(PP_ERR_AUTH_RATE, 4014, SECURITY, 429, 20429, "Too Many Requests")                             \
  X(PP_ERR_DELIVERY_UNOPENED, 4015, SECURITY, 500, 30008,                                          \
    "The verification message could not be opened")                                                \
  /* Staff passkeys (security/webauthn.h): each refusal's name is its audit reason. */             \
  X(PP_ERR_WEBAUTHN_ENCODING, 4016, SECURITY, 401, 20003,                                          \
    "The passkey response is not well formed: %s")                                                 \
  X(PP_ERR_WEBAUTHN_TYPE, 4017, SECURITY, 401, 20003, "The passkey response is of the wrong type") \
  X(PP_ERR_WEBAUTHN_CHALLENGE, 4018, SECURITY, 401, 20003,                                         \
    "The passkey challenge is unknown, used or expired")                                           \
  X(PP_ERR_WEBAUTHN_ORIGIN, 4019, SECURITY, 401, 20003,                                            \
    "The passkey response was made for another origin: %s")                                        \
  X(PP_ERR_WEBAUTHN_RP_ID, 4020, SECURITY, 401, 20003,                                             \
    "The passkey response was made for another relying party")                                     \
  X(PP_ERR_WEBAUTHN_USER_PRESENT, 4021, SECURITY, 401, 20003,                                      \
    "The authenticator did not report user presence")                                              \
  X(PP_ERR_WEBAUTHN_USER_VERIFIED, 4022, SECURITY, 401, 20003,                                     \
    "The authenticator did not verify the user")                                                   \
  X(PP_ERR_WEBAUTHN_ALGORITHM, 4023, SECURITY, 401, 20003,                                         \
    "The passkey algorithm is not supported: %s")                                                  \
  X(PP_ERR_WEBAUTHN_ATTESTATION, 4024, SECURITY, 401, 20003,                                       \
    "The passkey attestation did not verify: %s")                                                  \
  X(PP_ERR_WEBAUTHN_SIGNATURE, 4025, SECURITY, 401, 20003, "The passkey signature did not verify") \
  X(PP_ERR_WEBAUTHN_SIGN_COUNT, 4026, SECURITY, 401, 20003,                                        \
    "The authenticator's sign count did not grow")                                                 \
  X(PP_ERR_WEBAUTHN_CREDENTIAL, 4027, SECURITY, 401, 20003, "The passkey is not registered")       \
  /* 4036-4059: staff principals and their sessions (src/staff/). */                               \
  X(PP_ERR_STAFF_ENROL_TOKEN, 4036, SECURITY, 401, 20003,                                          \
    "The enrolment link is not valid: it was used, has expired or never existed")                  \
  X(PP_ERR_STAFF_SESSION, 4037, SECURITY, 401, 20003, "Sign in as staff: no valid staff session")  \
  X(PP_ERR_STAFF_CSRF, 4038, SECURITY, 403, 20403,                                                 \
    "The request lacks the staff session's CSRF token")                                            \
  X(PP_ERR_STAFF_UV_STALE, 4039, SECURITY, 403, 20403,                                             \
    "This action needs a passkey confirmation made for it in the last 5 minutes")                  \
  X(PP_ERR_STAFF_ROLE, 4040, SECURITY, 403, 20403, "The staff role does not allow this")           \
  X(PP_ERR_STAFF_PASSKEY_TAKEN, 4041, SECURITY, 409, 20003, "This passkey is registered already")  \
  /* The lockbox: staff read an account's content only under its grant. */                         \
  X(PP_ERR_LOCKBOX_NO_GRANT, 4060, SECURITY, 403, 20403,                                           \
    "Forbidden: no active lockbox grant of the account allows this: %s")                           \
  /* 4070-4079: the operator token's end, four eyes. */                                            \
  X(PP_ERR_OPERATOR_TOKEN_GONE, 4070, SECURITY, 401, 20003,                                        \
    "The operator token was retired: /admin/v1 answers only to a staff session (sign in with a "   \
    "passkey at /staff/) or to pipit admin on the host")                                           \
  X(PP_ERR_CHANGE_OWN, 4071, SECURITY, 403, 20403,                                                 \
    "A change request needs a second operator: its requester cannot decide it")

/* Whose failure an error is: the thousands of its number. */
typedef enum {
  PP_ERR_CLASS_OK = 0,       /* PP_OK */
  PP_ERR_CLASS_SERVER = 1,   /* Pipit or its host */
  PP_ERR_CLASS_CLIENT = 2,   /* the request */
  PP_ERR_CLASS_UPSTREAM = 3, /* a peer: a carrier, a customer's server */
  PP_ERR_CLASS_SECURITY = 4  /* a protection: credentials, guards, integrity */
} pp_err_class_t;

typedef enum {
#define PP_ERR_ENUM(name, number, cls, status, code, msg) name = number,
  PP_ERR_TABLE(PP_ERR_ENUM)
#undef PP_ERR_ENUM
} pp_err_t;

/* pp_err_name returns the symbolic name ("PP_ERR_NOMEM"), or
 * "PP_ERR_UNKNOWN" for a value not in the table; never NULL. */
const char *pp_err_name(pp_err_t e);

/* pp_err_http_status returns the HTTP status that answers a request that
 * failed with `e` (500 for unknown values). */
int pp_err_http_status(pp_err_t e);

/* pp_err_twilio_code returns Twilio's error code for `e`, or 0 when Twilio
 * has none (the HTTP status is used as the code on the wire then). */
int pp_err_twilio_code(pp_err_t e);

/* pp_err_class returns whose failure `e` is (PP_ERR_CLASS_SERVER for
 * unknown values). */
pp_err_class_t pp_err_class(pp_err_t e);

/* pp_err_format returns the message format for `e` (a printf format that
 * takes at most one %s). */
const char *pp_err_format(pp_err_t e);

/* pp_err_message writes `e`'s message with `detail` in its %s (or after a
 * colon when it has none; never for internal, store and corruption errors,
 * whose detail is for the log) into `out` (`cap` bytes, truncated,
 * NUL-terminated). */
void pp_err_message(pp_err_t e, const char *detail, char *out, size_t cap);

#endif
