/* ws-window-actions.c — what the window does: win.start and the others
 *
 * Running a test (win.start, win.stop, and what the window says when one
 * fails), choosing a server (win.use-target), sharing the result
 * (win.copy-summary, win.save-graph, win.save-result) and the History page
 * (win.show-history).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ws-error.h"
#include "ws-gui-util.h"
#include "ws-protocol.h"
#include "ws-window-actions.h"

/* ---- Running a test ---- */

/* The engine says what failed; the control that fixes it is ours to name. */
static const char *
error_remedy (const GError *error)
{
  if (g_error_matches (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TLS_REQUIRED))
    return _("switch on “Encrypt with TLS” under Advanced");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_KEY_MISSING))
    return _("enter the key the server’s administrator gave you under Advanced");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_TLS_UNKNOWN_CA))
    return _("for a self-signed server, enter the fingerprint it prints under Advanced");
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    return _("does the server have a TLS certificate? If not, switch off “Encrypt with TLS”");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_IPERF3_NO_SECURITY))
    return _("switch off “Encrypt with TLS” and clear the fingerprint and the key under Advanced");
  return NULL;
}

/* Returns: (transfer full): @error's message and, where there is one, what
 * to do about it in this window's terms. */
static char *
describe_error (const GError *error)
{
  const char *remedy = error_remedy (error);

  /* Translators: what failed, then what to do about it. */
  return remedy != NULL ? g_strdup_printf (_("%s: %s"), error->message, remedy)
                        : g_strdup (error->message);
}

static void
show_error (WsWindow     *self,
            const GError *error)
{
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      ws_figures_set_status (self->figures, _("Stopped"), FALSE);
      return;
    }
  /* Busy is not a failure of this computer or the network: say so plainly,
   * whether a Wirespeed or an iperf3 server said it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY)
      || g_error_matches (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BUSY))
    text = g_strdup (_("The server is busy with another test; try again in a moment"));
  message = describe_error (error);
  if (text == NULL)
    text = g_strdup_printf (_("The test failed: %s"), message);
  ws_figures_set_status (self->figures, text, TRUE);
  _ws_window_toast (self, message);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(WsWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) result = ws_client_run_finish (WS_CLIENT (source), res, &error);

  g_clear_object (&self->cancellable);
  _ws_window_set_running (self, FALSE);
  if (result == NULL)
    {
      show_error (self, error);
      return;
    }
  if (g_strcmp0 (result->peer_protocol, "iperf3") == 0 && self->running_target != NULL)
    ws_test_form_mark_iperf3 (self->form, self->running_target);
  _ws_window_set_result (self, result);
  ws_figures_show_result (self->figures, result);
  _ws_window_store_result (self, result);
  ws_figures_set_status (self->figures,
                         result->interrupted ? _("Stopped early; the figures cover the time measured")
                                             : _("Finished"), FALSE);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);
  g_autofree char *target = ws_test_form_dup_target (self->form);
  g_autoptr(GError) error = NULL;
  WsTestConfig config;

  if (self->cancellable != NULL)
    return;
  if (!ws_test_form_read (self->form, &config, &error))
    {
      _ws_window_toast (self, error->message);
      ws_test_config_clear (&config);
      return;
    }
  _ws_window_set_result (self, NULL);
  ws_figures_reset (self->figures);
  ws_figures_show_mode (self->figures, config.mode);
  self->running_mode = config.mode;
  ws_test_form_remember (self->form, &config);
  g_free (self->running_target);
  self->running_target = *target ? g_steal_pointer (&target) : NULL;
  self->cancellable = g_cancellable_new ();
  _ws_window_set_running (self, TRUE);
  adw_view_stack_set_visible_child_name (self->pages, "test");
  ws_figures_set_status (self->figures,
                         config.latency_probe && !ws_test_mode_is_rr (config.mode)
                         ? _("Measuring idle latency…") : _("Connecting…"), FALSE);
  ws_client_run_async (self->client, &config, self->cancellable, on_run_done, g_object_ref (self));
  ws_test_config_clear (&config);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
use_target_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  g_object_set (WS_WINDOW (widget)->form, "target", g_variant_get_string (parameter, NULL), NULL);
}

/* ---- Sharing the result ---- */

static void
copy_summary_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);
  g_autofree char *text = self->result ? ws_gui_summary (self->result) : NULL;

  if (text == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  _ws_window_toast (self, _("Summary copied"));
}

static char *
suggested_name (WsWindow   *self,
                const char *extension)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (self->result->start_time);
  g_autofree char *when = g_date_time_format (local, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("wirespeed-%s.%s", when, extension);
}

static void
on_graph_file_chosen (GFile    *file,
                      gpointer  owner)
{
  WsWindow *self = WS_WINDOW (owner);
  g_autoptr(GError) error = NULL;

  if (!ws_chart_save (ws_figures_get_chart (self->figures), file, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not save the graph: %s"), error->message);
      _ws_window_toast (self, text);
    }
}

static void
save_graph_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);
  const char *patterns[] = { "*.png", "*.svg", "*.pdf", NULL };
  g_autofree char *name = NULL;

  if (self->result == NULL)
    return;
  name = suggested_name (self, "png");
  ws_gui_save_dialog (GTK_WINDOW (self), _("Save Graph"), name, patterns, on_graph_file_chosen, self);
}

static void
on_result_saved (GObject      *source,
                 GAsyncResult *res,
                 gpointer      data)
{
  g_autoptr(WsWindow) self = _ws_window_job_end (data);
  g_autoptr(GError) error = NULL;

  if (!ws_gui_save_result_finish (res, &error) && self != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not save the result: %s"), error->message);
      _ws_window_toast (self, text);
    }
}

/* Written on a worker; the app waits for it before it exits. */
static void
on_result_file_chosen (GFile    *file,
                       gpointer  owner)
{
  WsWindow *self = WS_WINDOW (owner);

  ws_gui_save_result_async (self->result, file, on_result_saved, _ws_window_job_new (self));
}

static void
save_result_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);
  const char *patterns[] = { "*.json", NULL };
  g_autofree char *name = NULL;

  if (self->result == NULL)
    return;
  name = suggested_name (self, "json");
  ws_gui_save_dialog (GTK_WINDOW (self), _("Save Result as JSON"), name, patterns, on_result_file_chosen, self);
}

static void
show_history_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  adw_view_stack_set_visible_child_name (WS_WINDOW (widget)->pages, "history");
}

void
_ws_window_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "win.use-target", "s", use_target_action);
  gtk_widget_class_install_action (widget_class, "win.copy-summary", NULL, copy_summary_action);
  gtk_widget_class_install_action (widget_class, "win.save-graph", NULL, save_graph_action);
  gtk_widget_class_install_action (widget_class, "win.save-result", NULL, save_result_action);
  gtk_widget_class_install_action (widget_class, "win.show-history", NULL, show_history_action);
  /* Escape stops a test only when nothing focused wants it (a popover, an
   * entry's completion), so it is a widget binding, not an accelerator. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.stop", NULL);
}
