/* ws-history-item.h — one past result in the history list's model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "ws-history.h"

G_BEGIN_DECLS

#define WS_TYPE_HISTORY_ITEM (ws_history_item_get_type ())
G_DECLARE_FINAL_TYPE (WsHistoryItem, ws_history_item, WS, HISTORY_ITEM, GObject)

WsHistoryItem        *ws_history_item_new       (WsHistoryEntry *entry);
const WsHistoryEntry *ws_history_item_get_entry (WsHistoryItem  *self);

G_END_DECLS
