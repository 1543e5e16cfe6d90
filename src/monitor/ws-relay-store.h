/* ws-relay-store.h — a relay's "database": its spool, drained upstream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-report-sender.h"
#include "ws-spool.h"
#include "ws-store.h"

G_BEGIN_DECLS

#define WS_TYPE_RELAY_STORE (ws_relay_store_get_type ())
G_DECLARE_FINAL_TYPE (WsRelayStore, ws_relay_store, WS, RELAY_STORE, GObject)

WsStore *ws_relay_store_new (WsSpool        *spool,
                             WsReportSender *sender);

G_END_DECLS
