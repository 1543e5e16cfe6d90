/* ws-auth.h — shared-secret authentication, HMAC-SHA256 challenge–response
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

/* The server's keys: NAME:SECRET per line, '#' comments. */
typedef struct _WsAuth WsAuth;

WsAuth   *ws_auth_new_from_file (const char   *path,
                                 GError      **error);
WsAuth   *ws_auth_new_from_data (const char   *data,
                                 const char   *origin,
                                 GError      **error);
WsAuth   *ws_auth_ref           (WsAuth       *auth);
void      ws_auth_unref         (WsAuth       *auth);
guint     ws_auth_get_n_keys    (WsAuth       *auth);
gboolean  ws_auth_verify        (WsAuth       *auth,
                                 const char   *name,
                                 const guint8  nonce[WS_NONCE_SIZE],
                                 const guint8  mac[WS_AUTH_MAC_SIZE]);

/* The client's side */
gboolean  ws_auth_parse_key     (const char   *text,
                                 char        **name,
                                 char        **secret,
                                 GError      **error);
gboolean  ws_auth_read_key_file (const char   *path,
                                 char        **name,
                                 char        **secret,
                                 GError      **error);
void      ws_auth_compute       (const char   *name,
                                 const char   *secret,
                                 const guint8  nonce[WS_NONCE_SIZE],
                                 guint8        mac[WS_AUTH_MAC_SIZE]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsAuth, ws_auth_unref)

G_END_DECLS
