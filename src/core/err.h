/* err.h: the one Pipit error table: every failure has a name, an HTTP status
 * and, where Twilio defines one, a Twilio error code and message. */
#ifndef PP_CORE_ERR_H
#define PP_CORE_ERR_H

#include <stddef.h>

/* X(name, http_status, twilio_code, message)
 * Append only: values are stable numbers.  `message` is a printf format that
 * takes at most one string argument (the context detail), or none.
 * The PP_ERR_HOOK_* and TwiML rows from PP_ERR_HOOK_RETRIEVAL on are webhook
 * outcomes recorded as alerts, not answers to an API request; their status
 * 502 ("the customer's server answered badly") is never sent to anyone. */
#define PP_ERR_TABLE(X)                                                        \
  X(PP_OK, 200, 0, "OK")                                                       \
  X(PP_ERR_NOMEM, 500, 0, "Out of memory")                                     \
  X(PP_ERR_INTERNAL, 500, 0, "Internal error")                                 \
  X(PP_ERR_STORE, 500, 0, "The store failed")                                  \
  X(PP_ERR_IO, 500, 0, "Input/output error")                                   \
  X(PP_ERR_AGAIN, 503, 0, "Try again")                                         \
  X(PP_ERR_CLOSED, 503, 0, "Shutting down")                                    \
  X(PP_ERR_TOO_BIG, 413, 0, "The request body is too large")                   \
  X(PP_ERR_BAD_REQUEST, 400, 0, "Bad request")                                 \
  X(PP_ERR_AUTH, 401, 20003, "Authenticate")                                   \
  X(PP_ERR_FORBIDDEN, 403, 20003, "Permission denied")                         \
  X(PP_ERR_NOT_FOUND, 404, 20404,                                              \
    "The requested resource %s was not found")                                 \
  X(PP_ERR_METHOD, 405, 20004, "Method not allowed")                           \
  X(PP_ERR_CONFLICT, 409, 0, "Conflict")                                       \
  X(PP_ERR_INVALID_PARAM, 400, 21200, "Invalid parameter: %s")                 \
  X(PP_ERR_TO_MISSING, 400, 21604, "A 'To' phone number is required.")         \
  X(PP_ERR_TO_INVALID, 400, 21211,                                             \
    "Invalid 'To' Phone Number: %s")                                           \
  X(PP_ERR_FROM_MISSING, 400, 21603,                                           \
    "A 'From' phone number is required.")                                      \
  X(PP_ERR_FROM_INVALID, 400, 21212,                                           \
    "Invalid From Number (caller ID): %s")                                     \
  X(PP_ERR_FROM_NOT_OWNED, 400, 21606,                                         \
    "The From phone number %s is not a valid, SMS-capable inbound phone "      \
    "number or short code for your account.")                                  \
  X(PP_ERR_BODY_MISSING, 400, 21602, "Message body is required.")              \
  X(PP_ERR_BODY_TOO_LONG, 400, 21617,                                          \
    "The concatenated message body exceeds the 1600 character limit.")         \
  X(PP_ERR_MEDIA_URL, 400, 21620, "Invalid media URL(s): %s")                  \
  X(PP_ERR_VALIDITY, 400, 21609, "Invalid ValidityPeriod: %s")                 \
  X(PP_ERR_STATUS_CALLBACK, 400, 21609, "Invalid StatusCallback url: %s")      \
  X(PP_ERR_SEND_AT_MISSING, 400, 35111,                                        \
    "SendAt is required when ScheduleType is fixed.")                          \
  X(PP_ERR_SEND_AT_RANGE, 400, 35114,                                          \
    "SendAt time must be between 900 seconds and 35 days in the future.")      \
  X(PP_ERR_SCHEDULE_SERVICE, 400, 35118,                                       \
    "MessagingServiceSid is required to schedule a message.")                  \
  X(PP_ERR_SERVICE_INVALID, 400, 21705,                                        \
    "The Messaging Service Sid %s is invalid.")                                \
  X(PP_ERR_NOT_CANCELABLE, 400, 30409,                                         \
    "Message cannot be canceled: only scheduled messages can be canceled.")    \
  X(PP_ERR_MSG_STATUS, 400, 20001, "Invalid message status: %s")               \
  X(PP_ERR_ACCOUNT_STATUS, 400, 20001, "Invalid account status: %s")           \
  X(PP_ERR_ACCOUNT_CLOSED, 400, 20001,                                         \
    "A closed account cannot be changed.")                                     \
  X(PP_ERR_MAIN_ACCOUNT, 403, 20005,                                           \
    "The main account cannot be suspended or closed through the API.")        \
  X(PP_ERR_SUBACCOUNT_CREATE, 403, 20005,                                      \
    "Subaccounts cannot create subaccounts.")                                  \
  X(PP_ERR_ACCOUNT_INACTIVE, 401, 20005, "Account not active")                 \
  X(PP_ERR_KEY_FORBIDDEN, 403, 20003,                                          \
    "Standard API keys cannot manage accounts, keys or auth tokens.")          \
  X(PP_ERR_NO_SECONDARY, 404, 20404,                                           \
    "The requested resource %s was not found")                                 \
  X(PP_ERR_FRIENDLY_NAME, 400, 21200, "FriendlyName is too long: %s")          \
  X(PP_ERR_NUMBER_INVALID, 400, 21421, "PhoneNumber is invalid: %s")           \
  X(PP_ERR_NUMBER_TAKEN, 400, 21422, "PhoneNumber is not available: %s")       \
  X(PP_ERR_URL_INVALID, 400, 21502, "Invalid url: %s")                         \
  X(PP_ERR_HTTP_METHOD, 400, 21200, "Invalid method, use GET or POST: %s")     \
  X(PP_ERR_PARAM_MISSING, 400, 20001,                                          \
    "Missing required parameter %s in the post body")                          \
  X(PP_ERR_SERVICE_NOT_FOUND, 400, 21701,                                      \
    "The Messaging Service %s does not exist.")                                \
  X(PP_ERR_SERVICE_NO_SENDERS, 400, 21704,                                     \
    "The Messaging Service %s contains no phone numbers.")                     \
  X(PP_ERR_SENDER_INVALID, 400, 21421,                                         \
    "PhoneNumberSid %s is not a phone number of this account.")                \
  X(PP_ERR_SENDER_IN_SERVICE, 400, 21712,                                      \
    "Phone Number %s is already associated with a Messaging Service.")         \
  X(PP_ERR_USECASE, 400, 21713, "Messaging Service Use Case is invalid: %s")   \
  X(PP_ERR_HOOK_RETRIEVAL, 502, 11200, "HTTP retrieval failure: %s")           \
  X(PP_ERR_HOOK_CONNECT, 502, 11205, "HTTP connection failure: %s")            \
  X(PP_ERR_HOOK_PROTOCOL, 502, 11206, "HTTP protocol violation: %s")           \
  X(PP_ERR_HOOK_HOST, 502, 11210, "HTTP bad host name: %s")                    \
  X(PP_ERR_HOOK_REDIRECTS, 502, 11215, "HTTP too many redirects: %s")          \
  X(PP_ERR_HOOK_CERT, 502, 11237, "Certificate invalid: %s")                   \
  X(PP_ERR_HOOK_ADDR_REFUSED, 502, 11200,                                      \
    "HTTP retrieval failure: the webhook address %s is not allowed")           \
  X(PP_ERR_TWIML_PARSE, 502, 12100, "Document parse failure: %s")              \
  X(PP_ERR_TWIML_SCHEMA, 502, 12200, "Schema validation warning: %s")          \
  X(PP_ERR_TWIML_CONTENT_TYPE, 502, 12300, "Invalid Content-Type: %s")         \
  X(PP_ERR_REPLY_RATE, 429, 14107, "SMS send rate limit exceeded: %s")         \
  X(PP_ERR_TWIML_MESSAGE_LIMIT, 502, 14109,                                    \
    "TwiML Reply message limit exceeded: %s")                                  \
  X(PP_ERR_TWIML_VERB, 502, 14110, "Invalid Verb for Message Reply: %s")   \
  /* Verify (verify/v2). */                                                    \
  X(PP_ERR_VERIFY_PARAM, 400, 60200, "Invalid parameter: %s")                  \
  X(PP_ERR_VERIFY_CHECKS, 429, 60202, "Max check attempts reached")            \
  X(PP_ERR_VERIFY_SENDS, 429, 60203, "Max send attempts reached")              \
  X(PP_ERR_VERIFY_RATE_LIMITS_MAX, 400, 60207,                                 \
    "Max rate limits per service reached")                                     \
  X(PP_ERR_VERIFY_BUCKETS_MAX, 400, 60210,                                     \
    "Max Buckets per Rate limit reached")                                      \
  X(PP_ERR_VERIFY_BUCKET_INTERVAL, 400, 60211,                                 \
    "Bucket with the given Interval already exists")                           \
  X(PP_ERR_VERIFY_CONCURRENT, 429, 60212,                                      \
    "Too many concurrent requests for phone number %s")                        \
  X(PP_ERR_VERIFY_CHANNEL, 400, 60223, "Delivery channel disabled: %s")        \
  X(PP_ERR_VERIFY_REQUEST, 400, 60306, "The request is invalid: %s")           \
  X(PP_ERR_VERIFY_FACTOR_ATTEMPTS, 429, 60310,                                 \
    "Factor verification attempts reached")                                    \
  X(PP_ERR_VERIFY_FACTOR_UNVERIFIED, 403, 60318, "Factor is unverified")       \
  X(PP_ERR_VERIFY_CHALLENGE_EXPIRED, 403, 60323, "Challenge expired")          \
  X(PP_ERR_VERIFY_NO_SENDER, 400, 60200,                                       \
    "Invalid parameter: the account has no phone number to send codes from")   \
  X(PP_ERR_VERIFY_FACTOR_FAILED, 403, 60311, "Factor verification failed")     \
  X(PP_ERR_VERIFY_CHALLENGE_FAILED, 403, 60324,                                \
    "Challenge verification failed")                                           \
  X(PP_ERR_VERIFY_FRAUD_BLOCKED, 403, 60410,                                   \
    "Verification delivery attempt blocked: %s")                               \
  X(PP_ERR_VERIFY_GEO_BLOCKED, 403, 60605,                                     \
    "Verification delivery attempt blocked: %s")                               \
  /* The store cannot write for want of space (a full disk): temporary. */    \
  X(PP_ERR_STORE_FULL, 503, 20503,                                             \
    "Service unavailable: the store cannot write; try again later")            \
  X(PP_ERR_HTTP_TIMEOUT, 408, 0, "The request did not arrive in time")         \
  X(PP_ERR_HTTP_URI_TOO_LONG, 414, 0, "The request URL is too long")           \
  X(PP_ERR_HTTP_HEADERS_TOO_LARGE, 431, 0, "The request header is too large")  \
  X(PP_ERR_HTTP_VERSION, 505, 0, "HTTP version not supported")                 \
  X(PP_ERR_HTTP_CONN_LIMIT, 429, 20429,                                        \
    "Too many connections from this address")                                  \
  X(PP_ERR_HTTP_BUSY, 503, 0, "Too many connections")                          \
  /* The sign-in guard (api/guard.c). */                                       \
  X(PP_ERR_AUTH_RATE, 429, 20429, "Too Many Requests")

typedef enum {
#define PP_ERR_ENUM(name, status, code, msg) name,
  PP_ERR_TABLE(PP_ERR_ENUM)
#undef PP_ERR_ENUM
      PP_ERR__COUNT
} pp_err_t;

/* pp_err_name returns the symbolic name ("PP_ERR_NOMEM"); never NULL. */
const char *pp_err_name(pp_err_t e);

/* pp_err_http_status returns the HTTP status that answers a request that
 * failed with `e` (500 for unknown values). */
int pp_err_http_status(pp_err_t e);

/* pp_err_twilio_code returns Twilio's error code for `e`, or 0 when Twilio
 * has none (the HTTP status is used as the code on the wire then). */
int pp_err_twilio_code(pp_err_t e);

/* pp_err_format returns the message format for `e` (a printf format that
 * takes at most one %s). */
const char *pp_err_format(pp_err_t e);

/* pp_err_message writes `e`'s message with `detail` in its %s (or after a
 * colon when it has none; never for internal and store errors) into `out`
 * (`cap` bytes, truncated, NUL-terminated). */
void pp_err_message(pp_err_t e, const char *detail, char *out, size_t cap);

#endif
