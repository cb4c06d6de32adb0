/* channel.c: the channel kinds a carrier may name (see channel.h). */
#include "channel/channel.h"

#include <string.h>

#include "channel/smpp/channel.h"

static const pp_channel_ops_t *const kinds[] = {&pp_smpp_channel_ops};

const pp_channel_ops_t *pp_channel_find(const char *kind) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i]->kind, kind) == 0) return kinds[i];
  return NULL;
}

const char *pp_channel_kind_at(size_t i) {
  return i < sizeof kinds / sizeof kinds[0] ? kinds[i]->kind : NULL;
}

const char *pp_channel_kind(const pp_carrier_t *c) {
  return c->channel[0] ? c->channel : kinds[0]->kind;
}

void pp_channel_ack(const pp_channel_ack_t *ack, pp_err_t result) {
  ack->ch->ops->ack(ack, result);
}
