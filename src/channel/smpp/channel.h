/* channel.h (smpp): SMPP 3.4 as a channel (src/channel/channel.h).  One
 * instance per carrier: its binds are sessions (session.h) chosen round
 * robin; it segments and encodes each message (segment.h, gsm7.h), builds
 * its submit_sm and query_sm, and reads receipts and handset messages out
 * of deliver_sm.  The carrier's settings it reads: host, port, system_id,
 * password, system_type, bind_mode, window, mps, binds, concat, payload and
 * gsm7 (same_config compares these).  Callbacks run on the session threads. */
#ifndef PP_CHANNEL_SMPP_CHANNEL_H
#define PP_CHANNEL_SMPP_CHANNEL_H

#include "channel/channel.h"

/* The operations, kind "smpp".  Static storage. */
extern const pp_channel_ops_t pp_smpp_channel_ops;

#endif
