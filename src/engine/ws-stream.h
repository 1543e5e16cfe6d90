/* ws-stream.h — one data connection of a test, on either side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

typedef struct _WsStream WsStream;

typedef struct {
  guint64 bytes;        /* sent by a sender, received by a receiver */
  guint32 retransmits;  /* TCP_INFO total retransmits (senders) */
  guint32 snd_cwnd;     /* bytes (senders) */
  guint32 rtt_us;       /* smoothed RTT (senders) */
} WsStreamCounters;

WsStream *ws_stream_new          (GSocket          *socket,
                                  guint16           id,
                                  WsStreamRole      role,
                                  gboolean          sending,
                                  guint32           length);
void      ws_stream_free         (WsStream         *stream);
gboolean  ws_stream_start        (WsStream         *stream,
                                  GError          **error);
void      ws_stream_stop_sending (WsStream         *stream);
void      ws_stream_abort        (WsStream         *stream);
gboolean  ws_stream_wait         (WsStream         *stream,
                                  gint64            deadline_ns);
void      ws_stream_join         (WsStream         *stream);
void      ws_stream_read         (WsStream         *stream,
                                  WsStreamCounters *counters);
guint16      ws_stream_get_id      (WsStream *stream);
WsStreamRole ws_stream_get_role    (WsStream *stream);
gboolean     ws_stream_is_sending  (WsStream *stream);
gboolean     ws_stream_is_finished (WsStream *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsStream, ws_stream_free)

G_END_DECLS
