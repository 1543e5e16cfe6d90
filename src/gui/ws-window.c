/* ws-window.c — the test window
 *
 * Two pages under one header bar. "Test": a form on the left (target, test
 * type, duration, advanced settings, the embedded server), the live graph
 * and the headline figures on the right. "History": every finished test.
 * The window never measures anything: it fills a WsTestConfig, hands it to
 * WsClient (which runs in a worker thread) and shows the samples and the
 * WsResult that come back on the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <math.h>

#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-client.h"
#include "ws-error.h"
#include "ws-graph.h"
#include "ws-gui-util.h"
#include "ws-history-view.h"
#include "ws-server.h"
#include "ws-server-row.h"
#include "ws-units.h"
#include "ws-window.h"
#include "ws-window-private.h"

#define MAX_RECENT_TARGETS 8

typedef enum {
  FIGURE_DOWNLOAD,
  FIGURE_UPLOAD,
  FIGURE_TRANSACTIONS,
  FIGURE_IDLE,
  FIGURE_LOADED,
  FIGURE_RPM,
  N_FIGURES
} Figure;

G_STATIC_ASSERT ((int) FIGURE_RPM == (int) WS_WINDOW_FIGURE_RPM && (int) FIGURE_IDLE == (int) WS_WINDOW_FIGURE_IDLE);

struct _WsWindow {
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  AdwToastOverlay *toasts;
  AdwViewStack *pages;
  WsHistoryView *history_view;
  GtkButton *start_button;
  AdwEntryRow *target_row;
  GMenu *recent_menu;
  AdwComboRow *mode_row;
  GtkSpinButton *duration_spin;
  GtkSpinButton *streams_spin;
  AdwComboRow *direction_row;
  AdwEntryRow *bitrate_row;
  AdwEntryRow *length_row;
  GtkSwitch *iperf3_switch;
  GtkSwitch *tls_switch;
  AdwEntryRow *fingerprint_row;
  AdwPasswordEntryRow *key_row;
  WsServerRow *server_row;
  WsGraph *graph;
  GtkWidget *figure_cells[N_FIGURES];
  GtkLabel *figure_values[N_FIGURES];
  GtkLabel *detail_label;
  GtkLabel *status_label;

  WsClient *client;
  GCancellable *cancellable;
  WsTestMode running_mode;
  char *running_target;    /* as typed, for what the test finds out */
  WsResult *result;        /* shown now: the last test's, or one from the history */
  gboolean bytes;          /* rates in MB/s rather than Mbit/s */
  /* Running means of the live samples, per direction */
  gdouble up_bits, up_s, down_bits, down_s;
};

G_DEFINE_FINAL_TYPE (WsWindow, ws_window, ADW_TYPE_APPLICATION_WINDOW)

/* The test types in the order the combo row shows them, and their names in
 * the settings. */
static const WsTestMode modes[] = {
  WS_TEST_SPEED, WS_TEST_TCP_STREAM, WS_TEST_TCP_RR, WS_TEST_UDP_STREAM, WS_TEST_UDP_RR,
};
static const char *const mode_keys[] = {
  "SPEED", "TCP_STREAM", "TCP_RR", "UDP_STREAM", "UDP_RR",
};

/* ---- Showing results ---- */

static void
set_figure (WsWindow   *self,
            Figure      which,
            const char *text)
{
  gtk_label_set_text (self->figure_values[which], text != NULL ? text : "—");
}

static void
set_latency_figure (WsWindow        *self,
                    Figure           which,
                    const WsLatency *l)
{
  g_autofree char *text = l->count ? ws_gui_format_ms (l->p50) : NULL;

  set_figure (self, which, text);
}

static void
set_rate_figure (WsWindow *self,
                 Figure    which,
                 gdouble   bits,
                 gdouble   seconds)
{
  g_autofree char *text = seconds > 0 ? ws_gui_format_rate (bits / seconds, self->bytes) : NULL;

  set_figure (self, which, text);
}

/* Request/response tests count transactions; the others move bytes. */
static void
show_figures_for (WsWindow   *self,
                  WsTestMode  mode)
{
  gboolean rr = ws_test_mode_is_rr (mode);

  gtk_widget_set_visible (self->figure_cells[FIGURE_DOWNLOAD], !rr);
  gtk_widget_set_visible (self->figure_cells[FIGURE_UPLOAD], !rr);
  gtk_widget_set_visible (self->figure_cells[FIGURE_TRANSACTIONS], rr);
  gtk_widget_set_visible (self->figure_cells[FIGURE_IDLE], !rr);
  gtk_widget_set_visible (self->figure_cells[FIGURE_RPM], TRUE);
}

/* While a test runs, the headline figures are the mean so far: they settle
 * on the final result instead of jumping with every interval. */
static void
show_sample (WsWindow       *self,
             const WsSample *s)
{
  gdouble span = s->end_s - s->start_s;
  gdouble latency_ms = ws_sample_latency_ms (s);

  if (s->download.measured)
    {
      self->down_bits += ws_flow_stats_bps (&s->download, span) * span;
      self->down_s += span;
      set_rate_figure (self, FIGURE_DOWNLOAD, self->down_bits, self->down_s);
    }
  if (s->upload.measured)
    {
      self->up_bits += ws_flow_stats_bps (&s->upload, span) * span;
      self->up_s += span;
      set_rate_figure (self, FIGURE_UPLOAD, self->up_bits, self->up_s);
    }
  if (s->latency.count)
    {
      g_autofree char *tps = g_strdup_printf ("%.0f", span > 0 ? s->transactions / span : 0);
      set_figure (self, FIGURE_TRANSACTIONS, tps);
    }
  if (!isnan (latency_ms))
    {
      g_autofree char *ms = ws_gui_format_ms (latency_ms);
      set_figure (self, FIGURE_LOADED, ms);
    }
}

static void
append_latency_line (GString         *text,
                     const char      *what,
                     const WsLatency *l)
{
  g_autofree char *p50 = ws_gui_format_ms (l->p50);
  g_autofree char *p90 = ws_gui_format_ms (l->p90);
  g_autofree char *p99 = ws_gui_format_ms (l->p99);

  if (l->count == 0)
    return;
  if (text->len)
    g_string_append_c (text, '\n');
  /* Translators: "Idle latency: p50 0.052 ms, p90 0.071 ms, p99 0.130 ms" */
  g_string_append_printf (text, _("%s: p50 %s, p90 %s, p99 %s"), what, p50, p90, p99);
}

static char *
describe_result (const WsResult *r)
{
  GString *text = g_string_new (NULL);

  if (ws_test_mode_is_rr (r->mode))
    append_latency_line (text, _("Round trip"), &r->latency);
  append_latency_line (text, _("Idle latency"), &r->idle_latency);
  append_latency_line (text, _("Loaded latency"), &r->loaded_latency);
  if (r->latency.count || r->loaded_latency.count)
    g_string_append_printf (text, _("\nJitter %.3f ms · %.1f%% of probes lost"), r->rtt_jitter_ms,
                            ws_test_mode_is_rr (r->mode)
                            ? (r->requests_sent ? 100.0 * r->rr_lost / r->requests_sent : 0)
                            : (r->probe_sent ? 100.0 * r->probe_lost / r->probe_sent : 0));
  if (g_strcmp0 (r->peer_protocol, "iperf3") == 0)
    g_string_append_printf (text, "%s%s", text->len ? "\n" : "",
                            _("Against an iperf3 server: idle latency is the TCP connect time, "
                              "loaded latency the kernel’s smoothed RTT of the streams"));
  if (r->upload.udp || r->download.udp)
    {
      WsFlowStats sum = { 0 };

      ws_flow_stats_add (&sum, &r->upload);
      ws_flow_stats_add (&sum, &r->download);
      g_string_append_printf (text, _("\nDatagrams: %.2f%% lost, %" PRIu64 " out of order, jitter %.3f ms"),
                              ws_flow_stats_loss_percent (&sum), sum.out_of_order, sum.jitter_ms);
    }
  if (ws_result_address_translated (r))
    {
      if (text->len)
        g_string_append_c (text, '\n');
      g_string_append_printf (text, _("The server saw this computer as %s (local %s): NAT between them"),
                              r->client_address, r->local_address);
    }
  return g_string_free (text, FALSE);
}

static void
show_result (WsWindow       *self,
             const WsResult *r)
{
  gdouble rpm = ws_result_rpm (r);
  g_autofree char *rpm_text = rpm > 0 ? g_strdup_printf ("%.0f (%s)", rpm, ws_rpm_band_name (rpm)) : NULL;
  g_autofree char *tps = ws_test_mode_is_rr (r->mode) && r->elapsed_s > 0
                         ? g_strdup_printf ("%.0f", r->transactions / r->elapsed_s) : NULL;
  g_autofree char *detail = describe_result (r);

  show_figures_for (self, r->mode);
  if (r->download.measured)
    set_rate_figure (self, FIGURE_DOWNLOAD, ws_flow_stats_bps (&r->download, r->download_s), 1);
  else
    set_figure (self, FIGURE_DOWNLOAD, NULL);
  if (r->upload.measured)
    set_rate_figure (self, FIGURE_UPLOAD, ws_flow_stats_bps (&r->upload, r->upload_s), 1);
  else
    set_figure (self, FIGURE_UPLOAD, NULL);
  set_figure (self, FIGURE_TRANSACTIONS, tps);
  set_latency_figure (self, FIGURE_IDLE, &r->idle_latency);
  set_latency_figure (self, FIGURE_LOADED, r->loaded_latency.count ? &r->loaded_latency : &r->latency);
  set_figure (self, FIGURE_RPM, rpm_text);
  gtk_label_set_text (self->detail_label, detail);
}

static void
set_result (WsWindow *self,
            WsResult *result)
{
  g_clear_pointer (&self->result, ws_result_unref);
  if (result != NULL)
    self->result = ws_result_ref (result);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-summary", result != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-graph", result != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-result", result != NULL);
}

static void
reset_figures (WsWindow *self)
{
  for (guint i = 0; i < N_FIGURES; i++)
    set_figure (self, i, NULL);
  gtk_label_set_text (self->detail_label, "");
  ws_graph_clear (self->graph);
  self->up_bits = self->up_s = self->down_bits = self->down_s = 0;
  set_result (self, NULL);
}

static void
set_status (WsWindow   *self,
            const char *text,
            gboolean    error)
{
  gtk_label_set_text (self->status_label, text);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

static void
toast (WsWindow   *self,
       const char *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 6);
  adw_toast_overlay_add_toast (self->toasts, t);
}

/* ---- Running a test ---- */

static void
set_running (WsWindow *self,
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
}

static const char *
phase_of (WsWindow       *self,
          const WsSample *s)
{
  if (self->running_mode != WS_TEST_SPEED)
    return _("Testing");
  return s->upload.measured ? _("Measuring upload") : _("Measuring download");
}

static void
on_sample (WsClient       *client,
           const WsSample *sample,
           WsWindow       *self)
{
  g_autofree char *status = NULL;

  ws_graph_add_sample (self->graph, sample);
  show_sample (self, sample);
  /* Translators: "Measuring download… 4 s" */
  status = g_strdup_printf (_("%s… %.0f s"), phase_of (self, sample), sample->end_s);
  set_status (self, status, FALSE);
}

static void
remember_target (WsWindow   *self,
                 const char *target)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "recent-targets");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) recent = NULL;
  guint n = 1;

  g_strv_builder_add (builder, target);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT_TARGETS; i++)
    if (g_strcmp0 (old[i], target) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-targets", (const char *const *) recent);
}

static void
remember_tls (WsWindow   *self,
              const char *target,
              gboolean    tls,
              const char *fingerprint)
{
  g_autoptr(GVariant) old = g_settings_get_value (self->settings, "target-tls");
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a{s(bs)}"));
  GVariantIter iter;
  const char *name, *pin;
  gboolean on;

  g_variant_iter_init (&iter, old);
  while (g_variant_iter_next (&iter, "{&s(b&s)}", &name, &on, &pin))
    if (g_strcmp0 (name, target) != 0)
      g_variant_builder_add (builder, "{s(bs)}", name, on, pin);
  g_variant_builder_add (builder, "{s(bs)}", target, tls, fingerprint ? fingerprint : "");
  g_settings_set_value (self->settings, "target-tls", g_variant_builder_end (builder));
}

static void
remember_iperf3 (WsWindow   *self,
                 const char *target,
                 gboolean    iperf3)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "iperf3-targets");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) now = NULL;

  if (g_strv_contains ((const char *const *) old, target) == iperf3)
    return;
  for (guint i = 0; old[i] != NULL; i++)
    if (g_strcmp0 (old[i], target) != 0)
      g_strv_builder_add (builder, old[i]);
  if (iperf3)
    g_strv_builder_add (builder, target);
  now = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "iperf3-targets", (const char *const *) now);
}

/* Typing or choosing a server brings back how it was reached last time. */
static void
on_target_changed (WsWindow *self)
{
  g_autofree char *target = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->target_row))));
  g_autoptr(GVariant) all = g_settings_get_value (self->settings, "target-tls");
  g_auto(GStrv) iperf3 = g_settings_get_strv (self->settings, "iperf3-targets");
  gboolean tls;
  const char *fingerprint;

  gtk_switch_set_active (self->iperf3_switch, g_strv_contains ((const char *const *) iperf3, target));
  if (g_variant_lookup (all, target, "(b&s)", &tls, &fingerprint))
    {
      gtk_switch_set_active (self->tls_switch, tls);
      gtk_editable_set_text (GTK_EDITABLE (self->fingerprint_row), fingerprint);
    }
}

static void
store_result (WsWindow *self,
              WsResult *result)
{
  WsHistory *history = ws_application_get_history (WS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))), NULL);
  g_autoptr(GError) error = NULL;

  if (history == NULL)
    return;
  if (ws_history_add (history, result, &error) == 0)
    {
      g_autofree char *text = g_strdup_printf (_("The result was not saved: %s"), error->message);
      toast (self, text);
      return;
    }
  ws_history_view_reload (self->history_view);
}

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
      set_status (self, _("Stopped"), FALSE);
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
  set_status (self, text, TRUE);
  toast (self, message);
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
  set_running (self, FALSE);
  if (result == NULL)
    {
      show_error (self, error);
      return;
    }
  /* A server found to be iperf3 is marked so, and next time is asked
   * nothing before its test. */
  if (g_strcmp0 (result->peer_protocol, "iperf3") == 0 && self->running_target != NULL)
    {
      remember_iperf3 (self, self->running_target, TRUE);
      gtk_switch_set_active (self->iperf3_switch, TRUE);
    }
  set_result (self, result);
  show_result (self, result);
  store_result (self, result);
  set_status (self, result->interrupted ? _("Stopped early; the figures cover the time measured")
                                        : _("Finished"), FALSE);
}

/* "host", "host:port" or "[v6]:port" → target and port. */
static void
parse_target (const char   *text,
              guint16       default_port,
              WsTestConfig *config)
{
  g_autoptr(GNetworkAddress) address = NULL;

  address = G_NETWORK_ADDRESS (g_network_address_parse (text, default_port, NULL));
  g_free (config->target);
  config->port = default_port;
  if (address == NULL)
    {
      config->target = g_strdup (text);
      return;
    }
  config->target = g_strdup (g_network_address_get_hostname (address));
  config->port = g_network_address_get_port (address);
}

static gboolean
read_sizes (WsWindow     *self,
            WsTestConfig *config)
{
  const char *bitrate = gtk_editable_get_text (GTK_EDITABLE (self->bitrate_row));
  const char *length = gtk_editable_get_text (GTK_EDITABLE (self->length_row));
  guint64 size;

  if (*length)
    {
      if (!ws_parse_size (length, &size) || size > WS_MAX_LENGTH)
        {
          toast (self, _("Message size must be a size such as 1448 or 128K"));
          return FALSE;
        }
      config->length = size;
    }
  if (*bitrate && !ws_parse_rate (bitrate, &config->bitrate))
    {
      toast (self, _("UDP bitrate must be a rate such as 500K, 100M or 1G"));
      return FALSE;
    }
  return TRUE;
}

/* TLS with the system's CAs or a pinned fingerprint; a key if one is given. */
static gboolean
read_security (WsWindow     *self,
               WsTestConfig *config)
{
  g_autofree char *fingerprint = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->fingerprint_row))));
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));
  guint8 digest[32];

  if (*fingerprint && !ws_tls_fingerprint_parse (fingerprint, digest))
    {
      toast (self, _("The fingerprint must be the 64 hex digits the server prints (colons optional)"));
      return FALSE;
    }
  config->tls = gtk_switch_get_active (self->tls_switch) || *fingerprint;
  config->tls_fingerprint = *fingerprint ? g_strdup (fingerprint) : NULL;
  if (*key && !ws_auth_parse_key (key, &config->auth_name, &config->auth_secret, NULL))
    {
      toast (self, _("The key must be NAME:SECRET, as in the server’s key file"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_form (WsWindow     *self,
           WsTestConfig *config)
{
  g_autofree char *target = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->target_row))));
  guint port = g_settings_get_uint (self->settings, "server-port");

  ws_test_config_init (config);
  parse_target (*target ? target : "localhost", port ? port : WS_DEFAULT_PORT, config);
  config->mode = modes[adw_combo_row_get_selected (self->mode_row)];
  config->duration_s = gtk_spin_button_get_value_as_int (self->duration_spin);
  config->streams = gtk_spin_button_get_value_as_int (self->streams_spin);
  config->direction = adw_combo_row_get_selected (self->direction_row);
  /* Ten samples a second: a smooth graph, and cheap for the engine. */
  config->interval_ms = 100;
  config->iperf3 = gtk_switch_get_active (self->iperf3_switch);
  return read_sizes (self, config) && read_security (self, config);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);
  g_autofree char *target = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->target_row))));
  WsTestConfig config;

  if (self->cancellable != NULL)
    return;
  if (!read_form (self, &config))
    {
      ws_test_config_clear (&config);
      return;
    }
  reset_figures (self);
  show_figures_for (self, config.mode);
  self->running_mode = config.mode;
  if (*target)
    {
      remember_target (self, target);
      remember_tls (self, target, config.tls, config.tls_fingerprint);
      remember_iperf3 (self, target, config.iperf3);
    }
  g_free (self->running_target);
  self->running_target = *target ? g_strdup (target) : NULL;
  g_settings_set_string (self->settings, "last-test-type", mode_keys[adw_combo_row_get_selected (self->mode_row)]);
  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);
  adw_view_stack_set_visible_child_name (self->pages, "test");
  set_status (self, config.latency_probe && !ws_test_mode_is_rr (config.mode) ? _("Measuring idle latency…") : _("Connecting…"), FALSE);
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
on_start_clicked (WsWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), self->cancellable ? "win.stop" : "win.start", NULL);
}

static void
use_target_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);

  gtk_editable_set_text (GTK_EDITABLE (self->target_row), g_variant_get_string (parameter, NULL));
}

static void
update_recent_menu (WsWindow *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-targets");

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; recent[i] != NULL; i++)
    {
      /* Menus read "_" as a mnemonic; host names may contain one. */
      g_autoptr(GString) label = g_string_new (recent[i]);
      g_autoptr(GMenuItem) item = NULL;

      g_string_replace (label, "_", "__", 0);
      item = g_menu_item_new (label->str, NULL);

      g_menu_item_set_action_and_target (item, "win.use-target", "s", recent[i]);
      g_menu_append_item (self->recent_menu, item);
    }
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
  toast (self, _("Summary copied"));
}

static char *
suggested_name (WsWindow   *self,
                const char *extension)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (self->result->start_time);
  g_autofree char *when = g_date_time_format (local, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("wirespeed-%s.%s", when, extension);
}

/* Writes the graph to @file in the format its name ends with. */
gboolean
ws_window_save_graph (WsWindow  *self,
                      GFile     *file,
                      GError   **error)
{
  g_autofree char *name = g_file_get_basename (file);
  const char *dot = strrchr (name, '.');
  g_autoptr(GFileOutputStream) out = NULL;
  WsGraphFormat format;

  if (dot == NULL || !ws_graph_format_from_name (dot + 1, &format))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("Choose a name ending in .png, .svg or .pdf"));
      return FALSE;
    }
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  return out != NULL
         && ws_graph_export (self->graph, G_OUTPUT_STREAM (out), format, 1200, 600, error)
         && g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}

static void
on_graph_file_chosen (GFile    *file,
                      gpointer  owner)
{
  WsWindow *self = WS_WINDOW (owner);
  g_autoptr(GError) error = NULL;

  if (!ws_window_save_graph (self, file, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not save the graph: %s"), error->message);
      toast (self, text);
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
on_result_file_chosen (GFile    *file,
                       gpointer  owner)
{
  WsWindow *self = WS_WINDOW (owner);
  g_autofree char *json = ws_result_to_json_string (self->result);
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents (file, json, strlen (json), NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not save the result: %s"), error->message);
      toast (self, text);
    }
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
on_history_result (WsHistoryView *view,
                   WsResult      *result,
                   WsWindow      *self)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (result->start_time);
  g_autofree char *when = g_date_time_format (local, "%x %X");
  g_autofree char *status = NULL;

  if (self->cancellable != NULL)
    {
      toast (self, _("Stop the running test to look at an earlier one"));
      return;
    }
  reset_figures (self);
  set_result (self, result);
  ws_graph_set_result (self->graph, result);
  show_result (self, result);
  /* Translators: "Speed test of example.org on 22/11/26 14:03:00" */
  status = g_strdup_printf (_("%s of %s on %s"), ws_gui_mode_name (result->mode), result->target, when);
  set_status (self, status, FALSE);
  adw_view_stack_set_visible_child_name (self->pages, "test");
}

static void
show_history_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  adw_view_stack_set_visible_child_name (WS_WINDOW (widget)->pages, "history");
}

/* ---- Building the window ---- */

static GtkSpinButton *
spin_row (AdwPreferencesGroup *group,
          AdwExpanderRow      *expander,
          const char          *title,
          const char          *subtitle,
          gdouble              min,
          gdouble              max,
          gdouble              value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (min, max, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  if (expander)
    adw_expander_row_add_row (expander, row);
  else
    adw_preferences_group_add (group, row);
  return GTK_SPIN_BUTTON (spin);
}

static AdwComboRow *
combo_row (const char         *title,
           const char * const *items)
{
  GtkWidget *row = adw_combo_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (gtk_string_list_new (items)));
  return ADW_COMBO_ROW (row);
}

static AdwEntryRow *
entry_row (const char *title,
           const char *text)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  return ADW_ENTRY_ROW (row);
}

static guint
mode_index (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_keys); i++)
    if (g_strcmp0 (key, mode_keys[i]) == 0)
      return i;
  return 0;
}

static void
build_target_row (WsWindow            *self,
                  AdwPreferencesGroup *group)
{
  GtkWidget *recent = gtk_menu_button_new ();
  g_auto(GStrv) targets = g_settings_get_strv (self->settings, "recent-targets");

  self->target_row = entry_row (_("Server (host or host:port)"), targets[0] ? targets[0] : "localhost");
  self->recent_menu = g_menu_new ();
  update_recent_menu (self);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (recent), "document-open-recent-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (recent), G_MENU_MODEL (self->recent_menu));
  gtk_widget_set_tooltip_text (recent, _("Recent servers"));
  gtk_widget_set_valign (recent, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (recent, "flat");
  adw_entry_row_add_suffix (self->target_row, recent);
  g_signal_connect_swapped (self->settings, "changed::recent-targets", G_CALLBACK (update_recent_menu), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->target_row));
}

static GtkSwitch *
switch_row (AdwExpanderRow *advanced,
            const char     *title,
            const char     *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  adw_expander_row_add_row (advanced, row);
  return GTK_SWITCH (toggle);
}

static void
build_security_rows (WsWindow       *self,
                     AdwExpanderRow *advanced)
{
  g_autoptr(GError) no_tls = NULL;

  self->tls_switch = switch_row (advanced, _("Encrypt with TLS"),
                                 _("The server needs a certificate (--tls-cert)"));
  /* Said where the user would reach for TLS, before a test fails on it. */
  if (!ws_tls_check_available (&no_tls))
    {
      GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (self->tls_switch), ADW_TYPE_ACTION_ROW);

      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), no_tls->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->tls_switch), FALSE);
    }
  self->fingerprint_row = entry_row (_("Certificate fingerprint (empty: trust the system’s CAs)"), "");
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->fingerprint_row));
  self->key_row = ADW_PASSWORD_ENTRY_ROW (adw_password_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row), _("Key (NAME:SECRET, if the server asks)"));
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->key_row));
}

static void
build_advanced (WsWindow            *self,
                AdwPreferencesGroup *group)
{
  const char *directions[] = { _("Upload"), _("Download"), _("Both"), NULL };
  AdwExpanderRow *advanced = ADW_EXPANDER_ROW (adw_expander_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (advanced), _("Advanced"));
  adw_preferences_group_add (group, GTK_WIDGET (advanced));
  self->streams_spin = spin_row (group, advanced, _("Parallel streams"), NULL, 1, 128,
                                 g_settings_get_uint (self->settings, "default-streams"));
  self->direction_row = combo_row (_("Direction"), directions);
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->direction_row));
  self->bitrate_row = entry_row (_("UDP bitrate (e.g. 100M; empty: 10M)"), "");
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->bitrate_row));
  self->length_row = entry_row (_("Message size (empty: default)"), "");
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->length_row));
  self->iperf3_switch = switch_row (advanced, _("iperf3 server"),
                                    _("Switched on by itself when the server answers like one"));
  build_security_rows (self, advanced);
}

static void
build_server_group (WsWindow            *self,
                    AdwPreferencesGroup *group)
{
  adw_preferences_group_set_title (group, _("Server"));
  self->server_row = WS_SERVER_ROW (ws_server_row_new (self->settings));
  g_signal_connect_swapped (self->server_row, "toast", G_CALLBACK (toast), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->server_row));
}

static GtkWidget *
build_form (WsWindow *self)
{
  const char *mode_names[] = { _("Speed test"), _("TCP stream"), _("TCP request/response"),
                               _("UDP stream"), _("UDP request/response"), NULL };
  g_autofree char *last_mode = g_settings_get_string (self->settings, "last-test-type");
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  AdwPreferencesGroup *test = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *server = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (test, _("Test"));
  build_target_row (self, test);
  self->mode_row = combo_row (_("Test type"), mode_names);
  adw_combo_row_set_selected (self->mode_row, mode_index (last_mode));
  adw_preferences_group_add (test, GTK_WIDGET (self->mode_row));
  self->duration_spin = spin_row (test, NULL, _("Duration"), _("Seconds (per phase in a speed test)"), 1, 3600,
                                  g_settings_get_uint (self->settings, "default-duration"));
  build_advanced (self, test);
  build_server_group (self, server);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (test));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (server));
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_size_request (box, 340, -1);
  return box;
}

static void
add_figure (WsWindow   *self,
            GtkFlowBox *box,
            Figure      which,
            const char *title)
{
  GtkWidget *cell = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *caption = gtk_label_new (title);
  GtkWidget *value = gtk_label_new ("—");

  gtk_widget_add_css_class (caption, "caption-heading");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_widget_add_css_class (value, "title-1");
  gtk_widget_add_css_class (value, "numeric");
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_box_append (GTK_BOX (cell), caption);
  gtk_box_append (GTK_BOX (cell), value);
  gtk_flow_box_append (box, cell);
  /* Hide the flow box child, not the cell, or an empty slot stays behind. */
  self->figure_cells[which] = gtk_widget_get_parent (cell);
  self->figure_values[which] = GTK_LABEL (value);
}

static GtkWidget *
build_figures (WsWindow *self)
{
  GtkFlowBox *figures = GTK_FLOW_BOX (gtk_flow_box_new ());

  /* The headline figures wrap onto two lines in a narrow window. */
  gtk_flow_box_set_selection_mode (figures, GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (figures, TRUE);
  gtk_flow_box_set_min_children_per_line (figures, 2);
  gtk_flow_box_set_max_children_per_line (figures, 5);
  gtk_flow_box_set_column_spacing (figures, 24);
  gtk_flow_box_set_row_spacing (figures, 12);
  add_figure (self, figures, FIGURE_DOWNLOAD, _("Download"));
  add_figure (self, figures, FIGURE_UPLOAD, _("Upload"));
  add_figure (self, figures, FIGURE_TRANSACTIONS, _("Transactions/s"));
  add_figure (self, figures, FIGURE_IDLE, _("Idle latency"));
  add_figure (self, figures, FIGURE_LOADED, _("Loaded latency"));
  add_figure (self, figures, FIGURE_RPM, _("Responsiveness (RPM)"));
  return GTK_WIDGET (figures);
}

static GtkWidget *
build_results (WsWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  gtk_box_append (GTK_BOX (box), build_figures (self));
  self->graph = WS_GRAPH (ws_graph_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->graph), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->graph), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->graph));

  self->detail_label = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_xalign (self->detail_label, 0);
  gtk_label_set_wrap (self->detail_label, TRUE);
  gtk_label_set_selectable (self->detail_label, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->detail_label));

  self->status_label = GTK_LABEL (gtk_label_new (_("Choose a server and press Start")));
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
  gtk_label_set_xalign (self->status_label, 0);
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status_label));

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  return box;
}

static GtkWidget *
build_test_page (WsWindow *self)
{
  GtkWidget *panes = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), build_form (self));
  gtk_box_append (GTK_BOX (panes), scroller);
  gtk_box_append (GTK_BOX (panes), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (panes), build_results (self));
  return panes;
}

static GtkWidget *
menu_button (const char *icon,
             const char *tooltip,
             GMenu      *menu)
{
  GtkWidget *button = gtk_menu_button_new ();

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), icon);
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_widget_set_tooltip_text (button, tooltip);
  g_object_unref (menu);
  return button;
}

static GtkWidget *
build_header (WsWindow *self,
              GtkWidget *switcher_title)
{
  GtkWidget *header = adw_header_bar_new ();
  GMenu *primary = g_menu_new ();
  GMenu *share = g_menu_new ();

  g_menu_append (primary, _("_Preferences"), "app.preferences");
  g_menu_append (primary, _("_Keyboard Shortcuts"), "win.show-help-overlay");
  g_menu_append (primary, _("_About Wirespeed"), "app.about");
  g_menu_append (share, _("_Copy Summary"), "win.copy-summary");
  g_menu_append (share, _("_Save Graph…"), "win.save-graph");
  g_menu_append (share, _("Save Result as _JSON…"), "win.save-result");

  self->start_button = GTK_BUTTON (gtk_button_new_with_label (_("Start")));
  g_signal_connect_swapped (self->start_button, "clicked", G_CALLBACK (on_start_clicked), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), GTK_WIDGET (self->start_button));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), switcher_title);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), menu_button ("open-menu-symbolic", _("Main Menu"), primary));
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), menu_button ("document-send-symbolic", _("Save or Copy the Result"), share));
  return header;
}

static void
build_window (WsWindow *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *switcher_title = adw_view_switcher_title_new ();
  GtkWidget *switcher_bar = adw_view_switcher_bar_new ();
  AdwViewStackPage *page;

  self->pages = ADW_VIEW_STACK (adw_view_stack_new ());
  page = adw_view_stack_add_titled (self->pages, build_test_page (self), "test", _("Test"));
  adw_view_stack_page_set_icon_name (page, "network-transmit-receive-symbolic");
  self->history_view = WS_HISTORY_VIEW (ws_history_view_new ());
  g_signal_connect (self->history_view, "result-activated", G_CALLBACK (on_history_result), self);
  g_signal_connect_swapped (self->history_view, "toast", G_CALLBACK (toast), self);
  page = adw_view_stack_add_titled (self->pages, GTK_WIDGET (self->history_view), "history", _("History"));
  adw_view_stack_page_set_icon_name (page, "document-open-recent-symbolic");

  adw_view_switcher_title_set_stack (ADW_VIEW_SWITCHER_TITLE (switcher_title), self->pages);
  adw_view_switcher_title_set_title (ADW_VIEW_SWITCHER_TITLE (switcher_title), _("Wirespeed"));
  adw_view_switcher_bar_set_stack (ADW_VIEW_SWITCHER_BAR (switcher_bar), self->pages);
  /* On a narrow screen the switcher moves from the title to the bottom. */
  g_object_bind_property (switcher_title, "title-visible", switcher_bar, "reveal", G_BINDING_SYNC_CREATE);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, GTK_WIDGET (self->pages));
  gtk_widget_set_vexpand (GTK_WIDGET (self->toasts), TRUE);
  gtk_box_append (GTK_BOX (outer), build_header (self, switcher_title));
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->toasts));
  gtk_box_append (GTK_BOX (outer), switcher_bar);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), outer);
}

/* ---- Settings ---- */

static void
on_units_changed (WsWindow *self)
{
  g_autofree char *units = g_settings_get_string (self->settings, "units");

  self->bytes = g_strcmp0 (units, "bytes") == 0;
  ws_graph_set_units (self->graph, self->bytes ? WS_GRAPH_UNITS_BYTES : WS_GRAPH_UNITS_BITS);
  ws_history_view_set_units (self->history_view, self->bytes);
  if (self->result != NULL)
    show_result (self, self->result);
  else if (self->down_s > 0 || self->up_s > 0)
    {
      set_rate_figure (self, FIGURE_DOWNLOAD, self->down_bits, self->down_s);
      set_rate_figure (self, FIGURE_UPLOAD, self->up_bits, self->up_s);
    }
}

/* The figures a test type will fill, shown before it starts. */
static void
on_mode_selected (WsWindow *self)
{
  if (self->cancellable == NULL && self->result == NULL)
    show_figures_for (self, modes[adw_combo_row_get_selected (self->mode_row)]);
}

static void
on_defaults_changed (WsWindow *self)
{
  gtk_spin_button_set_value (self->duration_spin, g_settings_get_uint (self->settings, "default-duration"));
  gtk_spin_button_set_value (self->streams_spin, g_settings_get_uint (self->settings, "default-streams"));
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

/* The window is built once it has its application ("application" is not a
 * construct property), from the settings and the history the app owns. */
static void
setup (WsWindow      *self,
       WsApplication *app)
{
  const char *why_not = NULL;
  WsHistory *history = ws_application_get_history (app, &why_not);

  self->settings = g_object_ref (ws_application_get_settings (app));
  build_window (self);
  ws_history_view_set_history (self->history_view, history, why_not);
  g_signal_connect_swapped (self->settings, "changed::units", G_CALLBACK (on_units_changed), self);
  g_signal_connect_swapped (self->settings, "changed::default-duration", G_CALLBACK (on_defaults_changed), self);
  g_signal_connect_swapped (self->settings, "changed::default-streams", G_CALLBACK (on_defaults_changed), self);
  on_units_changed (self);
  on_mode_selected (self);
  g_signal_connect_swapped (self->mode_row, "notify::selected", G_CALLBACK (on_mode_selected), self);
  g_signal_connect_swapped (self->target_row, "changed", G_CALLBACK (on_target_changed), self);
  on_target_changed (self);
  restore_window_state (self);
  set_running (self, FALSE);
  set_result (self, NULL);
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
  g_clear_object (&self->recent_menu);
  g_clear_pointer (&self->result, ws_result_unref);
  G_OBJECT_CLASS (ws_window_parent_class)->dispose (object);
}

static void
ws_window_class_init (WsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ws_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = ws_window_close_request;
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

static void
ws_window_init (WsWindow *self)
{
  gtk_window_set_title (GTK_WINDOW (self), _("Wirespeed"));
  self->client = ws_client_new ();
  g_signal_connect (self->client, "sample", G_CALLBACK (on_sample), self);
  g_signal_connect_swapped (self->client, "notice", G_CALLBACK (toast), self);
}

WsWindow *
ws_window_new (WsApplication *application)
{
  WsWindow *self = g_object_new (WS_TYPE_WINDOW, "application", application, NULL);

  setup (self, application);
  return self;
}

/* ---- For the tests: what a person sees and does ---- */

WsGraph *
ws_window_get_graph (WsWindow *self)
{
  return self->graph;
}

WsHistoryView *
ws_window_get_history_view (WsWindow *self)
{
  return self->history_view;
}

WsResult *
ws_window_get_result (WsWindow *self)
{
  return self->result;
}

gboolean
ws_window_is_running (WsWindow *self)
{
  return self->cancellable != NULL;
}

const char *
ws_window_get_figure (WsWindow *self,
                      guint     index)
{
  g_return_val_if_fail (index < N_FIGURES, NULL);
  if (!gtk_widget_get_visible (self->figure_cells[index]))
    return NULL;
  return gtk_label_get_text (self->figure_values[index]);
}

const char *
ws_window_get_status (WsWindow *self)
{
  return gtk_label_get_text (self->status_label);
}

const char *
ws_window_get_detail (WsWindow *self)
{
  return gtk_label_get_text (self->detail_label);
}

void
ws_window_set_form (WsWindow   *self,
                    const char *target,
                    WsTestMode  mode,
                    guint       duration_s)
{
  gtk_editable_set_text (GTK_EDITABLE (self->target_row), target);
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    if (modes[i] == mode)
      adw_combo_row_set_selected (self->mode_row, i);
  gtk_spin_button_set_value (self->duration_spin, duration_s);
}

void
ws_window_set_security (WsWindow   *self,
                        gboolean    tls,
                        const char *fingerprint,
                        const char *key)
{
  gtk_switch_set_active (self->tls_switch, tls);
  gtk_editable_set_text (GTK_EDITABLE (self->fingerprint_row), fingerprint ? fingerprint : "");
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), key ? key : "");
}

void
ws_window_set_iperf3 (WsWindow *self,
                      gboolean  iperf3)
{
  gtk_switch_set_active (self->iperf3_switch, iperf3);
}

gboolean
ws_window_get_iperf3 (WsWindow *self)
{
  return gtk_switch_get_active (self->iperf3_switch);
}

guint
ws_window_get_form_duration (WsWindow *self)
{
  return gtk_spin_button_get_value_as_int (self->duration_spin);
}

void
ws_window_set_server_active (WsWindow *self,
                             gboolean  active)
{
  ws_server_row_set_active (self->server_row, active);
}

guint16
ws_window_get_server_port (WsWindow *self)
{
  return ws_server_row_get_port (self->server_row);
}

const char *
ws_window_get_server_text (WsWindow *self)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (self->server_row));
}

/* What the row of the TLS switch says under its title. */
const char *
ws_window_get_tls_text (WsWindow *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (self->tls_switch), ADW_TYPE_ACTION_ROW);

  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}
