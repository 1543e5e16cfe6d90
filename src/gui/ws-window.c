/* ws-window.c — the test window
 *
 * Two pages under one header bar (ws-window.ui). "Test": the form and the
 * embedded server on the left, the live figures and chart on the right.
 * "History": every finished test. The window never measures anything: its
 * actions (ws-window-actions.c) fill a WsTestConfig from the form, hand it
 * to WsClient (which runs in a worker thread) and show the samples and the
 * WsResult that come back on the main loop. What it shows is readable as
 * properties: "running", "result", and its parts ("form", "figures",
 * "server-row", "history-view") with their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ws-gui-util.h"
#include "ws-window-actions.h"

G_DEFINE_FINAL_TYPE (WsWindow, ws_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_RESULT,
  PROP_FORM,
  PROP_FIGURES,
  PROP_SERVER_ROW,
  PROP_HISTORY_VIEW,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

void
_ws_window_toast (WsWindow   *self,
                  const char *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 6);
  adw_toast_overlay_add_toast (self->toasts, t);
}

void
_ws_window_set_result (WsWindow *self,
                       WsResult *result)
{
  if (result != NULL)
    ws_result_ref (result);
  g_clear_pointer (&self->result, ws_result_unref);
  self->result = result;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-summary", result != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-graph", result != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-result", result != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT]);
}

void
_ws_window_set_running (WsWindow *self,
                        gboolean  running)
{
  gtk_button_set_label (self->start_button, running ? _("Stop") : _("Start"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->start_button),
                               running ? "suggested-action" : "destructive-action");
  gtk_widget_add_css_class (GTK_WIDGET (self->start_button),
                            running ? "destructive-action" : "suggested-action");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->start_button),
                               running ? _("Stop the test (Esc)") : _("Start the test (Ctrl+Enter)"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop", running);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* Work on its way for the window (a store, a save): the application is
 * held until it is done, so that closing the window right after a test
 * does not lose its result; the window may be gone by then. */
struct _WsWindowJob {
  GApplication *app;
  GWeakRef window;
};

WsWindowJob *
_ws_window_job_new (WsWindow *self)
{
  WsWindowJob *job = g_new0 (WsWindowJob, 1);

  job->app = G_APPLICATION (g_object_ref (gtk_window_get_application (GTK_WINDOW (self))));
  g_weak_ref_init (&job->window, self);
  g_application_hold (job->app);
  return job;
}

/* Returns: (transfer full) (nullable): the window, if it is still there. */
WsWindow *
_ws_window_job_end (WsWindowJob *job)
{
  WsWindow *self = g_weak_ref_get (&job->window);

  g_application_release (job->app);
  g_object_unref (job->app);
  g_weak_ref_clear (&job->window);
  g_free (job);
  return self;
}

static void
on_result_stored (GObject      *source,
                  GAsyncResult *res,
                  gpointer      data)
{
  g_autoptr(WsWindow) self = _ws_window_job_end (data);
  g_autoptr(GError) error = NULL;

  if (ws_history_add_finish (WS_HISTORY (source), res, &error) == 0)
    {
      g_autofree char *text = g_strdup_printf (_("The result was not saved: %s"), error->message);

      if (self != NULL)
        _ws_window_toast (self, text);
      else
        g_warning ("%s", text);
    }
}

/* Kept in the history on a worker (its JSON built there too); the history
 * page follows when the store says it changed. */
void
_ws_window_store_result (WsWindow *self,
                         WsResult *result)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  WsHistory *history = ws_application_get_history (WS_APPLICATION (app), NULL);

  if (history != NULL)
    ws_history_add_async (history, result, on_result_stored, _ws_window_job_new (self));
}

/* ---- What comes back from a test and from the history ---- */

static const char *
phase_of (WsWindow       *self,
          const WsSample *s)
{
  if (self->running_mode != WS_TEST_SPEED && self->running_mode != WS_TEST_HTTP)
    return _("Testing");
  return s->upload.measured ? _("Measuring upload") : _("Measuring download");
}

static void
on_sample (WsClient       *client,
           const WsSample *sample,
           WsWindow       *self)
{
  g_autofree char *status = NULL;

  ws_figures_add_sample (self->figures, sample);
  /* Translators: "Measuring download… 4 s" */
  status = g_strdup_printf (_("%s… %.0f s"), phase_of (self, sample), sample->end_s);
  ws_figures_set_progress (self->figures, status);
}

static void
on_history_result (WsHistoryView *view,
                   WsResult      *result,
                   WsWindow      *self)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (result->start_time);
  g_autofree char *when = g_date_time_format (local, "%x %X");
  g_autofree char *status = NULL;

  if (self->cancellable != NULL)
    {
      _ws_window_toast (self, _("Stop the running test to look at an earlier one"));
      return;
    }
  _ws_window_set_result (self, result);
  ws_figures_load_result (self->figures, result);
  /* Translators: "Speed test of example.org on 22/11/26 14:03:00" */
  status = g_strdup_printf (_("%s of %s on %s"), ws_gui_mode_name (result->mode), result->target, when);
  ws_figures_set_status (self->figures, status, FALSE);
  adw_view_stack_set_visible_child_name (self->pages, "test");
}

static void
on_start_clicked (WsWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), self->cancellable ? "win.stop" : "win.start", NULL);
}

/* ---- Settings ---- */

static void
on_units_changed (WsWindow *self)
{
  g_autofree char *units = g_settings_get_string (self->settings, "units");
  gboolean bytes = g_strcmp0 (units, "bytes") == 0;

  ws_figures_set_bytes (self->figures, bytes);
  ws_history_view_set_units (self->history_view, bytes);
}

/* The figures a test type will fill, shown before it starts. */
static void
on_mode_selected (WsWindow *self)
{
  if (self->cancellable == NULL && self->result == NULL)
    ws_figures_show_mode (self->figures, ws_test_form_get_mode (self->form));
}

static void
restore_window_state (WsWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
ws_window_close_request (GtkWindow *window)
{
  WsWindow *self = WS_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return GTK_WINDOW_CLASS (ws_window_parent_class)->close_request (window);
}

/* ---- Life cycle ---- */

/* The window is set up once it has its application ("application" is not
 * a construct property), from the settings and the history the app owns. */
static void
setup (WsWindow      *self,
       WsApplication *app)
{
  const char *why_not = NULL;
  WsHistory *history = ws_application_get_history (app, &why_not);

  self->settings = g_object_ref (ws_application_get_settings (app));
  ws_test_form_set_settings (self->form, self->settings);
  g_object_set (self->server_row, "settings", self->settings, NULL);
  ws_history_view_set_history (self->history_view, history, why_not);
  g_signal_connect_swapped (self->settings, "changed::units", G_CALLBACK (on_units_changed), self);
  on_units_changed (self);
  on_mode_selected (self);
  g_signal_connect_swapped (self->form, "notify::mode", G_CALLBACK (on_mode_selected), self);
  restore_window_state (self);
  _ws_window_set_running (self, FALSE);
  _ws_window_set_result (self, NULL);
}

static void
ws_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WsWindow *self = WS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->cancellable != NULL);
      break;
    case PROP_RESULT:
      g_value_set_boxed (value, self->result);
      break;
    case PROP_FORM:
      g_value_set_object (value, self->form);
      break;
    case PROP_FIGURES:
      g_value_set_object (value, self->figures);
      break;
    case PROP_SERVER_ROW:
      g_value_set_object (value, self->server_row);
      break;
    case PROP_HISTORY_VIEW:
      g_value_set_object (value, self->history_view);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_window_dispose (GObject *object)
{
  WsWindow *self = WS_WINDOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  /* The server stops with the window, not whenever the last ref goes. */
  if (self->server_row)
    ws_server_row_stop (self->server_row);
  /* A sample or notice may still be queued for the main loop. */
  if (self->client)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->running_target, g_free);
  g_clear_pointer (&self->result, ws_result_unref);
  G_OBJECT_CLASS (ws_window_parent_class)->dispose (object);
}

static void
install_properties (GObjectClass *object_class)
{
  const GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  /* A test runs: win.stop is the one to activate. */
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, read_only);
  /* The result shown: the last test's, or one reopened from the history. */
  properties[PROP_RESULT] = g_param_spec_boxed ("result", NULL, NULL, WS_TYPE_RESULT, read_only);
  properties[PROP_FORM] = g_param_spec_object ("form", NULL, NULL, WS_TYPE_TEST_FORM, read_only);
  properties[PROP_FIGURES] = g_param_spec_object ("figures", NULL, NULL, WS_TYPE_FIGURES, read_only);
  properties[PROP_SERVER_ROW] = g_param_spec_object ("server-row", NULL, NULL, WS_TYPE_SERVER_ROW, read_only);
  properties[PROP_HISTORY_VIEW] = g_param_spec_object ("history-view", NULL, NULL, WS_TYPE_HISTORY_VIEW, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ws_window_class_init (WsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ws_window_dispose;
  object_class->get_property = ws_window_get_property;
  GTK_WINDOW_CLASS (klass)->close_request = ws_window_close_request;
  install_properties (object_class);

  g_type_ensure (WS_TYPE_TEST_FORM);
  g_type_ensure (WS_TYPE_SERVER_ROW);
  g_type_ensure (WS_TYPE_FIGURES);
  g_type_ensure (WS_TYPE_HISTORY_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/wirespeed/Wirespeed/ws-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WsWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, WsWindow, pages);
  gtk_widget_class_bind_template_child (widget_class, WsWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, WsWindow, form);
  gtk_widget_class_bind_template_child (widget_class, WsWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, WsWindow, figures);
  gtk_widget_class_bind_template_child (widget_class, WsWindow, history_view);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_history_result);
  gtk_widget_class_bind_template_callback (widget_class, _ws_window_toast);
  _ws_window_install_actions (widget_class);
}

static void
ws_window_init (WsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->client = ws_client_new ();
  g_signal_connect (self->client, "sample", G_CALLBACK (on_sample), self);
  g_signal_connect_swapped (self->client, "notice", G_CALLBACK (_ws_window_toast), self);
}

WsWindow *
ws_window_new (WsApplication *application)
{
  WsWindow *self = g_object_new (WS_TYPE_WINDOW, "application", application, NULL);

  setup (self, application);
  return self;
}
