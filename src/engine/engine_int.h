/* engine_int.h: the engine layer's pure decisions, for their unit tests
 * (test/unit/engine/); not an interface of the engine. */
#ifndef PP_ENGINE_ENGINE_INT_H
#define PP_ENGINE_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

/* pp_engine_route_pick is the routing decision for destination `to` over
 * `rules` in their order (the store's: most specific first): the index of
 * the first rule whose prefix starts `to` and whose carrier `up` says is
 * bound, or -1.  *any_rule tells whether a prefix matched at all (a route
 * whose carriers are all down waits; no rule at all fails the message). */
int pp_engine_route_pick(const pp_route_rule_t *rules, size_t n, const char *to,
                         bool (*up)(void *arg, const char *carrier), void *arg, bool *any_rule);

/* pp_webhooks_retry_delay_ms is the wait before webhook attempt `attempts` + 1
 * after `attempts` failed ones (from 1; less counts as 1): `backoff_ms`
 * doubling with each attempt, at most `backoff_max_ms`, then spread by
 * +-25% at random. */
uint64_t pp_webhooks_retry_delay_ms(unsigned backoff_ms, unsigned backoff_max_ms, int attempts);

/* pp_webhooks_resolve_url resolves a TwiML URL `ref` against the request URL
 * `base`: an absolute http(s) URL as it is, "/path" against base's origin,
 * "name" against base's folder (its query and fragment dropped).  Arena
 * memory or `ref` itself; NULL when `ref` is empty or base has no scheme. */
const char *pp_webhooks_resolve_url(pp_arena_t *a, const char *base, const char *ref);

#endif
