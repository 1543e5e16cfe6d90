/* ws-relay-store.c — a relay's "database": its spool, drained upstream
 *
 * A relay is a collector whose store is its spool (docs/PROTOCOL.md
 * 10.4): the collector answers STORED only after ws_store_add_many()
 * returned, so here that means after the spool's commit. An id still in
 * the spool is DUPLICATE; one already forwarded is spooled again, and
 * the upstream collector's duplicate check has the last word. Each add
 * wakes the sender that drains the spool.
 *
 * Only what a collector calls is implemented: a relay has no reports to
 * look up, list or query.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ws-relay-store.h"

struct _WsRelayStore {
  GObject parent_instance;

  WsSpool *spool;
  WsReportSender *sender;
};

static void ws_relay_store_store_init (WsStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsRelayStore, ws_relay_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_STORE, ws_relay_store_store_init))

static void
ws_relay_store_finalize (GObject *object)
{
  WsRelayStore *self = WS_RELAY_STORE (object);

  g_clear_object (&self->spool);
  g_clear_object (&self->sender);
  G_OBJECT_CLASS (ws_relay_store_parent_class)->finalize (object);
}

static void
ws_relay_store_class_init (WsRelayStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_relay_store_finalize;
}

static void
ws_relay_store_init (WsRelayStore *self)
{
}

static gboolean
relay_add_many (WsStore          *store,
                WsReport *const  *reports,
                guint             n_reports,
                WsStoreOutcome   *outcomes,
                GError          **error)
{
  WsRelayStore *self = WS_RELAY_STORE (store);
  g_autoptr(GPtrArray) jsons = g_ptr_array_new_full (n_reports, g_free);
  g_autofree const char **ids = g_new (const char *, n_reports);
  g_autofree gboolean *added = g_new (gboolean, n_reports);
  guint dropped = 0;

  for (guint i = 0; i < n_reports; i++)
    {
      ids[i] = reports[i]->id;
      g_ptr_array_add (jsons, ws_report_to_json (reports[i]));
    }
  if (!ws_spool_add_many (self->spool, ids, (const char * const *) jsons->pdata, n_reports, added,
                          &dropped, error))
    return FALSE;
  for (guint i = 0; i < n_reports; i++)
    outcomes[i] = added[i] ? WS_STORE_NEW : WS_STORE_DUPLICATE;
  if (dropped > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE, "Spool “%s”: dropped the oldest %u report, over its cap",
                            "Spool “%s”: dropped the oldest %u reports, over its cap", dropped),
               ws_spool_get_path (self->spool), dropped);
  ws_report_sender_wake (self->sender);
  return TRUE;
}

static gboolean
unsupported (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("A relay keeps no reports: it forwards them"));
  return FALSE;
}

static gint64
relay_prune (WsStore    *store,
             GDateTime  *before,
             GError    **error)
{
  unsupported (error);
  return -1;
}

static gint64
relay_count (WsStore  *store,
             GError  **error)
{
  return ws_spool_get_count (WS_RELAY_STORE (store)->spool);
}

static gboolean
relay_lookup (WsStore          *store,
              const char       *id,
              WsReportFigures  *figures,
              char            **json,
              GError          **error)
{
  return unsupported (error);
}

static GPtrArray *
relay_list_ids (WsStore  *store,
                GError  **error)
{
  unsupported (error);
  return NULL;
}

static WsStoreDialect
relay_get_dialect (WsStore *store)
{
  return WS_STORE_DIALECT_SQLITE;
}

static WsStoreRows *
relay_query (WsStore           *store,
             const char        *sql,
             const char *const *params,
             guint              n_params,
             GError           **error)
{
  unsupported (error);
  return NULL;
}

static void
ws_relay_store_store_init (WsStoreInterface *iface)
{
  iface->add_many = relay_add_many;
  iface->prune = relay_prune;
  iface->count = relay_count;
  iface->lookup = relay_lookup;
  iface->list_ids = relay_list_ids;
  iface->get_dialect = relay_get_dialect;
  iface->query = relay_query;
}

/* A store over @spool that wakes @sender whenever a report is added. */
WsStore *
ws_relay_store_new (WsSpool        *spool,
                    WsReportSender *sender)
{
  WsRelayStore *self;

  g_return_val_if_fail (WS_IS_SPOOL (spool), NULL);
  g_return_val_if_fail (WS_IS_REPORT_SENDER (sender), NULL);

  self = g_object_new (WS_TYPE_RELAY_STORE, NULL);
  self->spool = g_object_ref (spool);
  self->sender = g_object_ref (sender);
  return WS_STORE (self);
}
