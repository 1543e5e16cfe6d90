/* ws-history-item.c — one past result in the history list's model
 *
 * A WsHistoryEntry as an object, since a GListModel holds objects: the
 * list view binds its rows to these, so only the rows on screen become
 * widgets however long the history is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-history-item.h"

struct _WsHistoryItem {
  GObject parent_instance;

  WsHistoryEntry *entry;
};

G_DEFINE_FINAL_TYPE (WsHistoryItem, ws_history_item, G_TYPE_OBJECT)

static void
ws_history_item_finalize (GObject *object)
{
  g_clear_pointer (&WS_HISTORY_ITEM (object)->entry, ws_history_entry_free);
  G_OBJECT_CLASS (ws_history_item_parent_class)->finalize (object);
}

static void
ws_history_item_class_init (WsHistoryItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_history_item_finalize;
}

static void
ws_history_item_init (WsHistoryItem *self)
{
}

/* @entry: (transfer full) */
WsHistoryItem *
ws_history_item_new (WsHistoryEntry *entry)
{
  WsHistoryItem *self;

  g_return_val_if_fail (entry != NULL, NULL);
  self = g_object_new (WS_TYPE_HISTORY_ITEM, NULL);
  self->entry = entry;
  return self;
}

const WsHistoryEntry *
ws_history_item_get_entry (WsHistoryItem *self)
{
  g_return_val_if_fail (WS_IS_HISTORY_ITEM (self), NULL);
  return self->entry;
}
