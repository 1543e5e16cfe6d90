/* ws-http-backend.h — tests against any web server, in HTTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client-backend.h"

G_BEGIN_DECLS

#define WS_TYPE_HTTP_BACKEND (ws_http_backend_get_type ())
G_DECLARE_FINAL_TYPE (WsHttpBackend, ws_http_backend, WS, HTTP_BACKEND, GObject)

WsClientBackend *ws_http_backend_new (const WsTestConfig   *config,
                                      GCancellable         *stop,
                                      const WsClientEvents *events);

G_END_DECLS
