/* ws-session.h — one client's version 2 test, on the server side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-grant.h"
#include "ws-protocol.h"
#include "ws-server.h"
#include "ws-server-session.h"

G_BEGIN_DECLS

#define WS_TYPE_SESSION (ws_session_get_type ())
G_DECLARE_FINAL_TYPE (WsSession, ws_session, WS, SESSION, GObject)

/* A session may run this long past its agreed duration without TEST_DONE. */
#define WS_SESSION_GRACE_S WS_PROTOCOL_GRACE_S

WsSession    *ws_session_new           (WsChannel           *control,
                                        const char          *peer,
                                        const WsHello       *hello,
                                        guint                idle_timeout_s,
                                        GCancellable        *cancellable);
void          ws_session_set_auth      (WsSession           *self,
                                        WsAuth              *auth);
void          ws_session_set_server    (WsSession           *self,
                                        WsServer            *server);
void          ws_session_set_limits    (WsSession           *session,
                                        guint                max_duration_s,
                                        guint64              max_bitrate);
gboolean      ws_session_greet         (WsSession           *self,
                                        GError             **error);
void          ws_session_set_collecting (WsSession          *self,
                                        gboolean             collecting);
gboolean      ws_session_read_request  (WsSession           *self,
                                        GError             **error);
const WsCollect *ws_session_get_collect (WsSession          *self);
const char   *ws_session_get_key_name  (WsSession           *self);
gboolean      ws_session_decline       (WsSession           *self,
                                        WsProtocolError      code,
                                        guint16              value,
                                        const char          *text,
                                        GError             **error);

G_END_DECLS
