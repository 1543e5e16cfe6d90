/* ws-history-view.c — past results, newest first
 *
 * The list reads only the store's headline columns, so it stays quick with
 * thousands of tests; the full result is loaded when a row is activated and
 * handed to the window ("result-activated"), which shows its graph and
 * figures again. Messages for the user go out as "toast".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ws-gui-util.h"
#include "ws-history-view.h"

struct _WsHistoryView {
  GtkWidget parent_instance;

  GtkWidget *stack;       /* "list", "empty" */
  AdwStatusPage *empty;
  GtkListBox *list;
  GtkLabel *count_label;
  GtkWidget *export_button;
  GtkWidget *clear_button;

  WsHistory *history;
  GPtrArray *entries;     /* WsHistoryEntry, in the list's order */
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

static gint64
row_id (GtkWidget *widget)
{
  GtkWidget *row = gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_BOX_ROW);

  return GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (row), "ws-id"));
}

static void
on_saved_json (GFile    *file,
               gpointer  owner)
{
  WsHistoryView *self = WS_HISTORY_VIEW (owner);
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (self), "ws-save-id"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);

  if (out == NULL
      || !ws_history_export_json (self->history, id, G_OUTPUT_STREAM (out), NULL, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error))
    toast_error (self, _("Could not save the result"), error);
}

static void
on_save_json_clicked (GtkButton     *button,
                      WsHistoryView *self)
{
  gint64 id = row_id (GTK_WIDGET (button));
  const char *patterns[] = { "*.json", NULL };
  g_autofree char *name = g_strdup_printf ("wirespeed-%" G_GINT64_FORMAT ".json", id);

  /* The id travels on the dialog's owner: one dialog at a time. */
  g_object_set_data (G_OBJECT (self), "ws-save-id", GSIZE_TO_POINTER (id));
  ws_gui_save_dialog (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                      _("Save Result as JSON"), name, patterns, on_saved_json, self);
}

static void
on_delete_clicked (GtkButton     *button,
                   WsHistoryView *self)
{
  g_autoptr(GError) error = NULL;

  if (!ws_history_delete (self->history, row_id (GTK_WIDGET (button)), &error))
    toast_error (self, _("Could not delete the result"), error);
  ws_history_view_reload (self);
}

static GtkWidget *
icon_button (const char *icon,
             const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static GtkWidget *
create_row (WsHistoryView        *self,
            const WsHistoryEntry *e)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *save = icon_button ("document-save-as-symbolic", _("Save as JSON"));
  GtkWidget *delete = icon_button ("user-trash-symbolic", _("Delete"));
  g_autofree char *title = entry_title (e);
  g_autofree char *subtitle = entry_subtitle (self, e);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data (G_OBJECT (row), "ws-id", GSIZE_TO_POINTER (e->id));
  g_signal_connect (save, "clicked", G_CALLBACK (on_save_json_clicked), self);
  g_signal_connect (delete, "clicked", G_CALLBACK (on_delete_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), save);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), delete);
  return row;
}

static void
on_row_activated (GtkListBox    *list,
                  GtkListBoxRow *row,
                  WsHistoryView *self)
{
  g_autoptr(GError) error = NULL;
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (row), "ws-id"));
  g_autoptr(WsResult) result = ws_history_get (self->history, id, &error);

  if (result == NULL)
    {
      toast_error (self, _("Could not open the result"), error);
      return;
    }
  g_signal_emit (self, signals[RESULT_ACTIVATED], 0, result);
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

void
ws_history_view_reload (WsHistoryView *self)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  if (self->history == NULL)
    return;
  self->entries = ws_history_list (self->history, &error);
  if (self->entries == NULL)
    {
      show_empty (self, _("History Unavailable"), error->message);
      return;
    }
  if (self->entries->len == 0)
    {
      show_empty (self, _("No Tests Yet"), _("Every test you run is kept here, with its graph."));
      return;
    }
  for (guint i = 0; i < self->entries->len; i++)
    gtk_list_box_append (self->list, create_row (self, g_ptr_array_index (self->entries, i)));
  {
    g_autofree char *count = g_strdup_printf (ngettext ("%u test", "%u tests", self->entries->len),
                                              self->entries->len);
    gtk_label_set_text (self->count_label, count);
  }
  gtk_widget_set_sensitive (self->export_button, TRUE);
  gtk_widget_set_sensitive (self->clear_button, TRUE);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "list");
}

static void
on_saved_csv (GFile    *file,
              gpointer  owner)
{
  WsHistoryView *self = WS_HISTORY_VIEW (owner);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);

  if (out == NULL
      || !ws_history_export_csv (self->history, G_OUTPUT_STREAM (out), NULL, &error)
      || !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error))
    toast_error (self, _("Could not export the history"), error);
}

static void
on_export_clicked (WsHistoryView *self)
{
  const char *patterns[] = { "*.csv", NULL };

  ws_gui_save_dialog (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                      _("Export History as CSV"), "wirespeed-history.csv", patterns, on_saved_csv, self);
}

static void
on_clear_response (AdwMessageDialog *dialog,
                   const char       *response,
                   WsHistoryView    *self)
{
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "delete") != 0)
    return;
  if (!ws_history_clear (self->history, &error))
    toast_error (self, _("Could not delete the history"), error);
  ws_history_view_reload (self);
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
  return bar;
}

static GtkWidget *
build_list_page (WsHistoryView *self)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_box_append (GTK_BOX (box), build_toolbar (self));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->list));
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  return scroller;
}

static void
ws_history_view_dispose (GObject *object)
{
  WsHistoryView *self = WS_HISTORY_VIEW (object);

  g_clear_pointer (&self->stack, gtk_widget_unparent);
  g_clear_object (&self->history);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
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
  g_set_object (&self->history, history);
  if (history == NULL)
    {
      show_empty (self, _("History Unavailable"), why_not);
      return;
    }
  ws_history_view_reload (self);
}

void
ws_history_view_set_units (WsHistoryView *self,
                           gboolean       bytes)
{
  self->bytes = bytes;
  ws_history_view_reload (self);
}

guint
ws_history_view_get_n_entries (WsHistoryView *self)
{
  return self->entries ? self->entries->len : 0;
}

/* As if the user had clicked the row: for the tests. */
gboolean
ws_history_view_activate_row (WsHistoryView *self,
                              guint          index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list, index);

  if (row == NULL)
    return FALSE;
  g_signal_emit_by_name (self->list, "row-activated", row);
  return TRUE;
}
