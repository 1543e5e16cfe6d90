/* ws-legacy-session.h — a version 1 (seed protocol) test, server side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-channel.h"
#include "ws-server-session.h"

G_BEGIN_DECLS

#define WS_TYPE_LEGACY_SESSION (ws_legacy_session_get_type ())
G_DECLARE_FINAL_TYPE (WsLegacySession, ws_legacy_session, WS, LEGACY_SESSION, GObject)

WsLegacySession *ws_legacy_session_new (WsChannel     *control,
                                        const char    *peer,
                                        guint          idle_timeout_s,
                                        GCancellable  *cancellable);

G_END_DECLS
