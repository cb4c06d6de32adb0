/* events.h: the body of a Verify webhook event, as Twilio posts it: a form
 * (application/x-www-form-urlencoded) of uuid, type, account_sid,
 * service_sid, the event's own fields, then created_date
 * (docs/internals/verify.md, "Verify webhooks").  Shared by the API, which
 * queues events with the change that causes them, and the engine, whose
 * sweep ends waiting periods.  Needs nothing but core. */
#ifndef PP_VERIFY_EVENTS_H
#define PP_VERIFY_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* pp_verify_event_type_known tells whether `type` is a Verify event a
 * webhook may subscribe to (EventTypes): Twilio's "*" (all),
 * factor.created, factor.verified, factor.deleted, challenge.approved and
 * challenge.denied, and Pipit's factor.enrollment_pending and
 * challenge.pending. */
bool pp_verify_event_type_known(const char *type);

/* pp_verify_event_subscribed tells whether a webhook with EventTypes
 * `event_types` (comma-separated, as stored) takes an event of `type`:
 * one of its entries is "*" or exactly `type`. */
bool pp_verify_event_subscribed(const char *event_types, const char *type);

/* pp_verify_event_form appends the form of event `type` about
 * `account_sid` and `service_sid`, with the `n` name/value pairs of `kv`
 * (2n strings; a NULL value is sent empty) and created_date `now`, to
 * `out`; uuid is 32 random hex digits.  Errors show in pp_buf_status. */
void pp_verify_event_form(pp_buf_t *out, const char *type, const char *account_sid,
                          const char *service_sid, const char *const *kv, size_t n, int64_t now);

#endif
