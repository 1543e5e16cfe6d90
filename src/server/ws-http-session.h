/* ws-http-session.h — one HTTP connection, on the server's port
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-server-session.h"

G_BEGIN_DECLS

/* What the server lets an HTTP connection do. */
typedef struct {
  guint idle_timeout_s;
  guint max_duration_s;   /* 0: no limit */
  guint64 max_bitrate;    /* bits per second, each direction; 0: no limit */
} WsHttpLimits;

#define WS_TYPE_HTTP_SESSION (ws_http_session_get_type ())
G_DECLARE_FINAL_TYPE (WsHttpSession, ws_http_session, WS, HTTP_SESSION, GObject)

WsHttpSession *ws_http_session_new     (GSocket            *socket,
                                        GIOStream          *tls,
                                        const char         *peer,
                                        const WsHttpLimits *limits,
                                        GCancellable       *cancellable);
void           ws_http_session_refuse_with (WsHttpSession  *self,
                                        guint               status,
                                        const char         *text);

G_END_DECLS
