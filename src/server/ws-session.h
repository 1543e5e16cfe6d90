/* ws-session.h — one client's version 2 test, on the server side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-auth.h"
#include "ws-channel.h"

#include "ws-protocol.h"

G_BEGIN_DECLS

#define WS_TYPE_SESSION (ws_session_get_type ())
G_DECLARE_FINAL_TYPE (WsSession, ws_session, WS, SESSION, GObject)

/* A session may run this long past its agreed duration without TEST_DONE. */
#define WS_SESSION_GRACE_S WS_PROTOCOL_GRACE_S

/* The stream buffers one session may hold: the granted length shrinks to
 * fit, so that no request (257 streams of 16 MiB writes) can take the
 * server's memory. */
#define WS_SESSION_MAX_BUFFER (64u * 1024u * 1024u)

/* The data streams, probe included, one session may have: each is a
 * thread on the server, and a request may ask for 257. A request for more
 * is granted fewer streams per direction (TEST_ACCEPT's streams). */
#define WS_SESSION_MAX_STREAM_THREADS 64u

typedef struct {
  guint64 bytes_sent;
  guint64 bytes_received;
} WsSessionTotals;

WsSession    *ws_session_new           (WsChannel           *control,
                                        const char          *peer,
                                        guint                idle_timeout_s,
                                        GCancellable        *cancellable);
void          ws_session_set_auth      (WsSession           *self,
                                        WsAuth              *auth);
void          ws_session_set_limits    (WsSession           *session,
                                        guint                max_duration_s,
                                        guint64              max_bitrate);
gboolean      ws_session_greet         (WsSession           *self,
                                        const WsHello       *hello,
                                        GError             **error);
gboolean      ws_session_negotiate     (WsSession           *session,
                                        const WsHello       *hello,
                                        GError             **error);
gboolean      ws_session_run           (WsSession           *session,
                                        GError             **error);
gboolean      ws_session_attach_stream (WsSession           *session,
                                        GSocket             *socket,
                                        const WsStreamHello *hello,
                                        GError             **error);
void          ws_session_abort         (WsSession           *session);
const guint8 *ws_session_get_cookie    (WsSession           *session);
const char   *ws_session_get_peer      (WsSession           *session);
void          ws_session_get_totals    (WsSession           *session,
                                        WsSessionTotals     *totals);

G_END_DECLS
