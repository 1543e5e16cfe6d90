/* ws-payload.h — the bytes a test sends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The one pattern every generated body repeats (HTTP downloads: byte o is
 * pattern[o % size], so that ranges of one URL join up) and TCP senders
 * send from: a multiple of every write length up to 1 MiB that is a power
 * of two, and small enough to stay in the cache of the CPU that copies it
 * out at the receiver. */
#define WS_PAYLOAD_FD_SIZE (1024 * 1024)

void          ws_payload_fill  (guint8 *buf,
                                gsize   size);
const guint8 *ws_payload_bytes (void);
int           ws_payload_fd    (void);

G_END_DECLS
