/* ws-history-view.c — past results, newest first
 *
 * The list reads only the store's headline columns, and makes widgets for
 * the rows around those on screen only, so it stays quick with thousands
 * of tests. It is a grid view of one column, not a list view: in GTK 4.8 a
 * list view keeps 200 rows alive around the visible ones, however few fit
 * (GTK_LIST_VIEW_MAX_LIST_ITEMS), and a long history filled, scrolled far
 * or shown in other units bound and measured all 200 in one frame; a grid
 * view keeps 30 rows a column (GTK_GRID_VIEW_MAX_VISIBLE_ROWS). Everything that touches the store runs on a worker (the store's
 * async calls): listing, opening a result (its JSON parsed there), saving,
 * deleting. The list follows the store: it is read again whenever the
 * store says it changed. An activated row's full result is handed to the
 * window ("result-activated"), which shows its graph and figures again.
 * Messages for the user go out as "toast".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ws-gui-util.h"
#include "ws-history-item.h"
#include "ws-history-view.h"

struct _WsHistoryView {
  GtkWidget parent_instance;

  GtkWidget *stack;       /* "list", "empty" */
  AdwStatusPage *empty;
  GtkGridView *list;
  GListStore *items;      /* WsHistoryItem, in the list's order */
  GtkLabel *count_label;
  GtkWidget *export_button;
  GtkWidget *clear_button;

  WsHistory *history;
  GCancellable *loading;  /* the list being read */
  GCancellable *opening;  /* the result being read */
  gboolean bytes;
};

G_DEFINE_FINAL_TYPE (WsHistoryView, ws_history_view, GTK_TYPE_WIDGET)

enum { RESULT_ACTIVATED, TOAST, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
toast (WsHistoryView *self,
       const char    *text)
{
  g_signal_emit (self, signals[TOAST], 0, text);
}

static void
toast_error (WsHistoryView *self,
             const char    *what,
             const GError  *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);

  toast (self, text);
}

/* What a write's callback says when it failed: @what, for the user. */
static void
finish_write (GObject      *source,
              GAsyncResult *result,
              gpointer      data,
              const char   *what)
{
  g_autoptr(WsHistoryView) self = data;
  g_autoptr(GError) error = NULL;

  if (!ws_history_write_finish (WS_HISTORY (source), result, &error))
    toast_error (self, what, error);
}

/* ---- Rows ---- */

static char *
entry_title (const WsHistoryEntry *e)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (e->start_time);
  g_autofree char *when = g_date_time_format (local, "%x %X");

  /* Translators: "Speed test · example.org · 22/11/26 14:03:00" */
  return g_strdup_printf (_("%s · %s · %s"), ws_gui_mode_name (e->mode), e->target, when);
}

static char *
entry_subtitle (WsHistoryView        *self,
                const WsHistoryEntry *e)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (e->download_bps > 0)
    {
      g_autofree char *rate = ws_gui_format_rate (e->download_bps, self->bytes);
      g_ptr_array_add (parts, g_strdup_printf ("↓ %s", rate));
    }
  if (e->upload_bps > 0)
    {
      g_autofree char *rate = ws_gui_format_rate (e->upload_bps, self->bytes);
      g_ptr_array_add (parts, g_strdup_printf ("↑ %s", rate));
    }
  if (!isnan (e->latency_ms))
    g_ptr_array_add (parts, ws_gui_format_ms (e->latency_ms));
  if (e->rpm > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("RPM %.0f"), e->rpm));
  if (e->interrupted)
    g_ptr_array_add (parts, g_strdup (_("stopped early")));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* The id of the result in the row that holds @button. */
static gint64
button_id (GtkWidget *button)
{
  GtkListItem *item = g_object_get_data (G_OBJECT (button), "ws-list-item");
  WsHistoryItem *row = gtk_list_item_get_item (item);

  return row != NULL ? ws_history_item_get_entry (row)->id : 0;
}

static void
on_saved_json (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  finish_write (source, result, data, _("Could not save the result"));
}

static void
on_json_file_chosen (GFile    *file,
                     gpointer  owner)
{
  WsHistoryView *self = WS_HISTORY_VIEW (owner);
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (self), "ws-save-id"));

  ws_history_save_json_async (self->history, id, file, on_saved_json, g_object_ref (self));
}

static void
on_save_json_clicked (GtkButton     *button,
                      WsHistoryView *self)
{
  gint64 id = button_id (GTK_WIDGET (button));
  const char *patterns[] = { "*.json", NULL };
  g_autofree char *name = g_strdup_printf ("wirespeed-%" G_GINT64_FORMAT ".json", id);

  /* The id travels on the dialog's owner: one dialog at a time. */
  g_object_set_data (G_OBJECT (self), "ws-save-id", GSIZE_TO_POINTER (id));
  ws_gui_save_dialog (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                      _("Save Result as JSON"), name, patterns, on_json_file_chosen, self);
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  finish_write (source, result, data, _("Could not delete the result"));
}

static void
on_delete_clicked (GtkButton     *button,
                   WsHistoryView *self)
{
  ws_history_delete_async (self->history, button_id (GTK_WIDGET (button)), on_deleted, g_object_ref (self));
}

static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  const char *text)
{
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* @tooltip: a translation, which lasts. Not gtk_widget_set_tooltip_text():
 * that asks the display where the pointer is, a round trip to the X server
 * for each button of each new row. */
static GtkWidget *
icon_button (GtkListItem *item,
             const char  *icon,
             const char  *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_has_tooltip (button, TRUE);
  g_signal_connect (button, "query-tooltip", G_CALLBACK (on_query_tooltip), (gpointer) tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "ws-list-item", item);
  return button;
}

/* A line of a row's text: an inscription, whose size does not follow its
 * text, so that rows bound again as the list scrolls are only drawn again,
 * not laid out. */
static GtkWidget *
row_text (GtkListItem *item,
          const char  *key)
{
  GtkWidget *text = gtk_inscription_new (NULL);

  gtk_inscription_set_min_chars (GTK_INSCRIPTION (text), 12);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (text), 60);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (text), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_xalign (GTK_INSCRIPTION (text), 0);
  g_object_set_data (G_OBJECT (item), key, text);
  return text;
}

/* A row as an AdwActionRow looks: title over subtitle, then the buttons
 * (style.css draws the line between rows). */
static void
on_setup_row (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              WsHistoryView            *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *save = icon_button (item, "document-save-as-symbolic", _("Save as JSON"));
  GtkWidget *delete = icon_button (item, "user-trash-symbolic", _("Delete"));
  GtkWidget *subtitle = row_text (item, "ws-subtitle");

  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (text), row_text (item, "ws-title"));
  gtk_box_append (GTK_BOX (text), subtitle);
  gtk_box_append (GTK_BOX (row), text);
  gtk_box_append (GTK_BOX (row), save);
  gtk_box_append (GTK_BOX (row), delete);
  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 6);
  gtk_widget_set_margin_top (row, 8);
  gtk_widget_set_margin_bottom (row, 8);
  g_signal_connect (save, "clicked", G_CALLBACK (on_save_json_clicked), self);
  g_signal_connect (delete, "clicked", G_CALLBACK (on_delete_clicked), self);
  gtk_list_item_set_child (item, row);
}

static void
on_bind_row (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             WsHistoryView            *self)
{
  const WsHistoryEntry *e = ws_history_item_get_entry (gtk_list_item_get_item (item));
  g_autofree char *title = entry_title (e);
  g_autofree char *subtitle = entry_subtitle (self, e);

  gtk_inscription_set_text (g_object_get_data (G_OBJECT (item), "ws-title"), title);
  gtk_inscription_set_text (g_object_get_data (G_OBJECT (item), "ws-subtitle"), subtitle);
}

static void
on_result_read (GObject      *source,
                GAsyncResult *res,
                gpointer      data)
{
  g_autoptr(WsHistoryView) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) result = ws_history_get_finish (WS_HISTORY (source), res, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->opening);
  if (result == NULL)
    {
      toast_error (self, _("Could not open the result"), error);
      return;
    }
  g_signal_emit (self, signals[RESULT_ACTIVATED], 0, result);
}

/* The row last activated wins: one opened before it is let go. */
static void
on_row_activated (GtkGridView   *list,
                  guint          position,
                  WsHistoryView *self)
{
  g_autoptr(WsHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), position);

  if (item == NULL)
    return;
  if (self->opening != NULL)
    g_cancellable_cancel (self->opening);
  g_clear_object (&self->opening);
  self->opening = g_cancellable_new ();
  ws_history_get_async (self->history, ws_history_item_get_entry (item)->id, self->opening,
                        on_result_read, g_object_ref (self));
}

/* ---- The whole list ---- */

static void
show_empty (WsHistoryView *self,
            const char    *title,
            const char    *description)
{
  adw_status_page_set_title (self->empty, title);
  adw_status_page_set_description (self->empty, description);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
  gtk_widget_set_sensitive (self->export_button, FALSE);
  gtk_widget_set_sensitive (self->clear_button, FALSE);
}

/* Replaces the rows with @entries in one change of the model: the list
 * view then binds the rows on screen, however many there are. */
static void
show_entries (WsHistoryView *self,
              GPtrArray     *entries)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_full (entries->len, g_object_unref);
  g_autofree char *count = NULL;

  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (items, ws_history_item_new (g_steal_pointer (&entries->pdata[i])));
  g_list_store_splice (self->items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->items)),
                       items->pdata, items->len);
  if (items->len == 0)
    {
      show_empty (self, _("No Tests Yet"), _("Every test you run is kept here, with its graph."));
      return;
    }
  count = g_strdup_printf (ngettext ("%u test", "%u tests", items->len), items->len);
  gtk_label_set_text (self->count_label, count);
  gtk_widget_set_sensitive (self->export_button, TRUE);
  gtk_widget_set_sensitive (self->clear_button, TRUE);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "list");
}

static void
on_list_read (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(WsHistoryView) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = ws_history_list_finish (WS_HISTORY (source), result, &error);

  /* A newer read is on its way. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->loading);
  if (entries == NULL)
    {
      g_list_store_remove_all (self->items);
      show_empty (self, _("History Unavailable"), error->message);
      return;
    }
  show_entries (self, entries);
}

/* Reads the list again, on a worker; the rows shown stay until it is in.
 * A read still on its way is superseded. */
void
ws_history_view_reload (WsHistoryView *self)
{
  g_return_if_fail (WS_IS_HISTORY_VIEW (self));
  if (self->loading != NULL)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  if (self->history == NULL)
    return;
  self->loading = g_cancellable_new ();
  ws_history_list_async (self->history, self->loading, on_list_read, g_object_ref (self));
}

static void
on_saved_csv (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  finish_write (source, result, data, _("Could not export the history"));
}

static void
on_csv_file_chosen (GFile    *file,
                    gpointer  owner)
{
  WsHistoryView *self = WS_HISTORY_VIEW (owner);

  ws_history_save_csv_async (self->history, file, on_saved_csv, g_object_ref (self));
}

static void
on_export_clicked (WsHistoryView *self)
{
  const char *patterns[] = { "*.csv", NULL };

  ws_gui_save_dialog (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                      _("Export History as CSV"), "wirespeed-history.csv", patterns, on_csv_file_chosen, self);
}

static void
on_cleared (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  finish_write (source, result, data, _("Could not delete the history"));
}

static void
on_clear_response (AdwMessageDialog *dialog,
                   const char       *response,
                   WsHistoryView    *self)
{
  if (g_strcmp0 (response, "delete") == 0)
    ws_history_clear_async (self->history, on_cleared, g_object_ref (self));
}

static void
on_clear_clicked (WsHistoryView *self)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Delete All Results?"),
                                              _("The results and their graphs cannot be recovered."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "delete", _("_Delete All"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_clear_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Building ---- */

static GtkWidget *
build_toolbar (WsHistoryView *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *clamp = adw_clamp_new ();

  self->count_label = GTK_LABEL (gtk_label_new (""));
  gtk_widget_add_css_class (GTK_WIDGET (self->count_label), "heading");
  gtk_widget_set_hexpand (GTK_WIDGET (self->count_label), TRUE);
  gtk_label_set_xalign (self->count_label, 0);
  self->export_button = gtk_button_new_with_mnemonic (_("_Export All as CSV…"));
  self->clear_button = gtk_button_new_with_mnemonic (_("De_lete All…"));
  gtk_widget_add_css_class (self->clear_button, "destructive-action");
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (on_export_clicked), self);
  g_signal_connect_swapped (self->clear_button, "clicked", G_CALLBACK (on_clear_clicked), self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->count_label));
  gtk_box_append (GTK_BOX (bar), self->export_button);
  gtk_box_append (GTK_BOX (bar), self->clear_button);
  gtk_widget_set_margin_top (bar, 18);
  gtk_widget_set_margin_bottom (bar, 12);
  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  adw_clamp_set_child (ADW_CLAMP (clamp), bar);
  return clamp;
}

static GtkWidget *
build_list (WsHistoryView *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkSelectionModel *selection;

  self->items = g_list_store_new (WS_TYPE_HISTORY_ITEM);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->items))));
  g_signal_connect (factory, "setup", G_CALLBACK (on_setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (on_bind_row), self);
  self->list = GTK_GRID_VIEW (gtk_grid_view_new (selection, factory));
  gtk_grid_view_set_min_columns (self->list, 1);
  gtk_grid_view_set_max_columns (self->list, 1);
  gtk_grid_view_set_single_click_activate (self->list, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "card");
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "ws-history");
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->list), 18);
  gtk_widget_set_margin_start (GTK_WIDGET (self->list), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->list), 12);
  gtk_widget_set_valign (GTK_WIDGET (self->list), GTK_ALIGN_START);
  g_signal_connect (self->list, "activate", G_CALLBACK (on_row_activated), self);
  return GTK_WIDGET (self->list);
}

static GtkWidget *
build_list_page (WsHistoryView *self)
{
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_scrollable_new ();

  adw_clamp_scrollable_set_maximum_size (ADW_CLAMP_SCROLLABLE (clamp), 900);
  adw_clamp_scrollable_set_child (ADW_CLAMP_SCROLLABLE (clamp), build_list (self));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (page), build_toolbar (self));
  gtk_box_append (GTK_BOX (page), scroller);
  return page;
}

static void
ws_history_view_dispose (GObject *object)
{
  WsHistoryView *self = WS_HISTORY_VIEW (object);

  if (self->loading != NULL)
    g_cancellable_cancel (self->loading);
  if (self->opening != NULL)
    g_cancellable_cancel (self->opening);
  g_clear_object (&self->loading);
  g_clear_object (&self->opening);
  g_clear_pointer (&self->stack, gtk_widget_unparent);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_object (&self->items);
  G_OBJECT_CLASS (ws_history_view_parent_class)->dispose (object);
}

static void
ws_history_view_class_init (WsHistoryViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ws_history_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  signals[RESULT_ACTIVATED] = g_signal_new ("result-activated", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, WS_TYPE_RESULT);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass),
                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ws_history_view_init (WsHistoryView *self)
{
  self->stack = gtk_stack_new ();
  self->empty = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->empty, "document-open-recent-symbolic");
  gtk_stack_add_named (GTK_STACK (self->stack), build_list_page (self), "list");
  gtk_stack_add_named (GTK_STACK (self->stack), GTK_WIDGET (self->empty), "empty");
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));
  show_empty (self, _("No Tests Yet"), _("Every test you run is kept here, with its graph."));
}

GtkWidget *
ws_history_view_new (void)
{
  return g_object_new (WS_TYPE_HISTORY_VIEW, NULL);
}

void
ws_history_view_set_history (WsHistoryView *self,
                             WsHistory     *history,
                             const char    *why_not)
{
  g_return_if_fail (WS_IS_HISTORY_VIEW (self));
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_set_object (&self->history, history);
  if (history == NULL)
    {
      g_list_store_remove_all (self->items);
      show_empty (self, _("History Unavailable"), why_not);
      return;
    }
  g_signal_connect_object (history, "changed", G_CALLBACK (ws_history_view_reload), self, G_CONNECT_SWAPPED);
  ws_history_view_reload (self);
}

/* The rows on screen are bound again; the store is not read. */
void
ws_history_view_set_units (WsHistoryView *self,
                           gboolean       bytes)
{
  guint n;
  g_autoptr(GPtrArray) items = NULL;

  g_return_if_fail (WS_IS_HISTORY_VIEW (self));
  bytes = !!bytes;
  if (self->bytes == bytes)
    return;
  self->bytes = bytes;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  items = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (self->items), i));
  g_list_store_splice (self->items, 0, n, items->pdata, n);
}

guint
ws_history_view_get_n_entries (WsHistoryView *self)
{
  g_return_val_if_fail (WS_IS_HISTORY_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->items));
}

/* As if the user had clicked the row; the result comes later, as
 * "result-activated". For the tests. */
gboolean
ws_history_view_activate_row (WsHistoryView *self,
                              guint          index)
{
  g_return_val_if_fail (WS_IS_HISTORY_VIEW (self), FALSE);
  if (index >= g_list_model_get_n_items (G_LIST_MODEL (self->items)))
    return FALSE;
  g_signal_emit_by_name (self->list, "activate", index);
  return TRUE;
}
