/* ws-window.c — the test window
 *
 * A form on the left (target, test type, duration, advanced settings, the
 * embedded server), the live graph and the headline figures on the right.
 * The window never measures anything: it fills a WsTestConfig, hands it to
 * WsClient (which runs in a worker thread) and shows the samples and the
 * WsResult that come back on the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ws-client.h"
#include "ws-graph.h"
#include "ws-server.h"
#include "ws-units.h"
#include "ws-window.h"

struct _WsWindow {
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toasts;
  GtkButton *start_button;
  AdwEntryRow *target_row;
  AdwComboRow *mode_row;
  GtkSpinButton *duration_spin;
  GtkSpinButton *streams_spin;
  AdwComboRow *direction_row;
  AdwEntryRow *bitrate_row;
  AdwEntryRow *length_row;
  AdwActionRow *server_row;
  GtkSwitch *server_switch;
  WsGraph *graph;
  GtkLabel *download_value;
  GtkLabel *upload_value;
  GtkLabel *idle_value;
  GtkLabel *loaded_value;
  GtkLabel *rpm_value;
  GtkLabel *detail_label;
  GtkLabel *status_label;

  WsClient *client;
  GCancellable *cancellable;
  WsServer *server;
  guint server_poll_id;
};

G_DEFINE_FINAL_TYPE (WsWindow, ws_window, ADW_TYPE_APPLICATION_WINDOW)

/* The test types in the order the combo row shows them. */
static const WsTestMode modes[] = {
  WS_TEST_SPEED, WS_TEST_TCP_STREAM, WS_TEST_TCP_RR, WS_TEST_UDP_STREAM, WS_TEST_UDP_RR,
};

/* ---- Showing results ---- */

static void
set_figure (GtkLabel   *label,
            const char *text)
{
  gtk_label_set_text (label, text != NULL ? text : "—");
}

static void
show_latency (GtkLabel        *label,
              const WsLatency *l)
{
  /* Loopback and LAN latencies are fractions of a millisecond. */
  g_autofree char *text = l->count == 0 ? NULL
                          : l->p50 < 1 ? g_strdup_printf ("%.3f ms", l->p50)
                          : g_strdup_printf ("%.1f ms", l->p50);

  set_figure (label, text);
}

static void
show_sample (WsWindow       *self,
             const WsSample *s)
{
  gdouble span = s->end_s - s->start_s;
  g_autofree char *down = s->download.measured ? ws_format_bitrate (ws_flow_stats_bps (&s->download, span)) : NULL;
  g_autofree char *up = s->upload.measured ? ws_format_bitrate (ws_flow_stats_bps (&s->upload, span)) : NULL;

  if (down)
    set_figure (self->download_value, down);
  if (up)
    set_figure (self->upload_value, up);
  if (s->probe.count)
    show_latency (self->loaded_value, &s->probe);
  else if (s->latency.count)
    show_latency (self->loaded_value, &s->latency);
}

static char *
describe_result (const WsResult *r)
{
  GString *text = g_string_new (NULL);

  if (ws_test_mode_is_rr (r->mode) && r->latency.count)
    g_string_append_printf (text, _("%.0f transactions/s · RTT p50 %.3f ms, p90 %.3f ms, p99 %.3f ms · %" G_GUINT64_FORMAT " lost"),
                            r->elapsed_s > 0 ? r->transactions / r->elapsed_s : 0,
                            r->latency.p50, r->latency.p90, r->latency.p99, r->rr_lost);
  if (r->loaded_latency.count)
    g_string_append_printf (text, _("Loaded latency p50 %.3f ms, p90 %.3f ms, p99 %.3f ms · jitter %.3f ms · probe loss %.1f%%"),
                            r->loaded_latency.p50, r->loaded_latency.p90, r->loaded_latency.p99,
                            r->rtt_jitter_ms, r->probe_sent ? 100.0 * r->probe_lost / r->probe_sent : 0);
  if (r->upload.udp || r->download.udp)
    {
      WsFlowStats sum = { 0 };

      ws_flow_stats_add (&sum, &r->upload);
      ws_flow_stats_add (&sum, &r->download);
      g_string_append_printf (text, _("\nDatagrams: %.2f%% lost, %" G_GUINT64_FORMAT " out of order, jitter %.3f ms"),
                              ws_flow_stats_loss_percent (&sum), sum.out_of_order, sum.jitter_ms);
    }
  return g_string_free (text, FALSE);
}

static void
show_result (WsWindow       *self,
             const WsResult *r)
{
  g_autofree char *down = r->download.measured ? ws_format_bitrate (ws_flow_stats_bps (&r->download, r->download_s)) : NULL;
  g_autofree char *up = r->upload.measured ? ws_format_bitrate (ws_flow_stats_bps (&r->upload, r->upload_s)) : NULL;
  g_autofree char *rpm = ws_result_rpm (r) > 0
                         ? g_strdup_printf ("%.0f (%s)", ws_result_rpm (r), ws_rpm_band (ws_result_rpm (r)))
                         : NULL;
  g_autofree char *detail = describe_result (r);

  set_figure (self->download_value, down);
  set_figure (self->upload_value, up);
  show_latency (self->idle_value, &r->idle_latency);
  show_latency (self->loaded_value, r->loaded_latency.count ? &r->loaded_latency : &r->latency);
  set_figure (self->rpm_value, rpm);
  gtk_label_set_text (self->detail_label, detail);
}

static void
reset_figures (WsWindow *self)
{
  GtkLabel *labels[] = { self->download_value, self->upload_value, self->idle_value,
                         self->loaded_value, self->rpm_value };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    set_figure (labels[i], NULL);
  gtk_label_set_text (self->detail_label, "");
  ws_graph_clear (self->graph);
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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop", running);
}

static void
toast (WsWindow   *self,
       const char *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 6);
  adw_toast_overlay_add_toast (self->toasts, t);
}

static void
on_sample (WsClient       *client,
           const WsSample *sample,
           WsWindow       *self)
{
  ws_graph_add_sample (self->graph, sample);
  show_sample (self, sample);
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
      gtk_label_set_text (self->status_label, "");
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  show_result (self, result);
  gtk_label_set_text (self->status_label,
                      result->interrupted ? _("Stopped early") : _("Finished"));
}

/* "host", "host:port" or "[v6]:port" → target and port. */
static void
parse_target (const char   *text,
              WsTestConfig *config)
{
  g_autoptr(GNetworkAddress) address = NULL;

  address = G_NETWORK_ADDRESS (g_network_address_parse (text, 5201, NULL));
  g_free (config->target);
  if (address == NULL)
    {
      config->target = g_strdup (text);
      return;
    }
  config->target = g_strdup (g_network_address_get_hostname (address));
  config->port = g_network_address_get_port (address);
}

static gboolean
read_form (WsWindow      *self,
           WsTestConfig  *config)
{
  g_autofree char *target = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->target_row))));
  const char *bitrate = gtk_editable_get_text (GTK_EDITABLE (self->bitrate_row));
  const char *length = gtk_editable_get_text (GTK_EDITABLE (self->length_row));
  guint64 size;

  ws_test_config_init (config);
  parse_target (*target ? target : "localhost", config);
  config->mode = modes[adw_combo_row_get_selected (self->mode_row)];
  config->duration_s = gtk_spin_button_get_value_as_int (self->duration_spin);
  config->streams = gtk_spin_button_get_value_as_int (self->streams_spin);
  config->direction = adw_combo_row_get_selected (self->direction_row);
  config->interval_ms = 500;
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

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WsWindow *self = WS_WINDOW (widget);
  WsTestConfig config;

  if (self->cancellable != NULL)
    return;
  if (!read_form (self, &config))
    {
      ws_test_config_clear (&config);
      return;
    }
  reset_figures (self);
  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);
  gtk_label_set_text (self->status_label, config.mode == WS_TEST_SPEED || !ws_test_mode_is_rr (config.mode)
                                          ? _("Measuring idle latency, then the test…")
                                          : _("Running…"));
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

/* ---- The embedded server ---- */

static char *
local_addresses (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autolist(GInetAddress) addresses = g_resolver_lookup_by_name (resolver, g_get_host_name (), NULL, NULL);

  for (GList *l = addresses; l != NULL; l = l->next)
    if (!g_inet_address_get_is_loopback (l->data))
      {
        g_autofree char *ip = g_inet_address_to_string (l->data);
        g_string_append_printf (text, "%s%s", text->len ? ", " : "", ip);
      }
  if (text->len == 0)
    g_string_append (text, g_get_host_name ());
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
poll_server (gpointer data)
{
  WsWindow *self = data;
  g_autofree char *addresses = local_addresses ();
  guint n = ws_server_get_n_sessions (self->server);
  g_autofree char *text = g_strdup_printf (ngettext ("%s, port %u · %u client connected",
                                                     "%s, port %u · %u clients connected", n),
                                           addresses, ws_server_get_port (self->server), n);

  adw_action_row_set_subtitle (self->server_row, text);
  return G_SOURCE_CONTINUE;
}

static void
stop_server (WsWindow *self)
{
  g_clear_handle_id (&self->server_poll_id, g_source_remove);
  if (self->server != NULL)
    ws_server_stop (self->server);
  g_clear_object (&self->server);
  adw_action_row_set_subtitle (self->server_row, _("Lets another computer test against this one"));
}

static gboolean
on_server_switch (GtkSwitch *sw,
                  gboolean   active,
                  WsWindow  *self)
{
  g_autoptr(GError) error = NULL;

  if (!active)
    {
      stop_server (self);
      return FALSE;
    }
  self->server = ws_server_new ();
  if (!ws_server_start (self->server, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Cannot start the server on port %u: %s"),
                                               WS_DEFAULT_PORT, error->message);
      g_clear_object (&self->server);
      toast (self, text);
      gtk_switch_set_state (sw, FALSE);
      return TRUE;
    }
  poll_server (self);
  self->server_poll_id = g_timeout_add_seconds (1, poll_server, self);
  return FALSE;
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

static GtkWidget *
build_form (WsWindow *self)
{
  const char *mode_names[] = { _("Speed test"), _("TCP stream"), _("TCP request/response"),
                               _("UDP stream"), _("UDP request/response"), NULL };
  const char *directions[] = { _("Upload"), _("Download"), _("Both"), NULL };
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  AdwPreferencesGroup *test = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *server = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwExpanderRow *advanced = ADW_EXPANDER_ROW (adw_expander_row_new ());

  adw_preferences_group_set_title (test, _("Test"));
  self->target_row = entry_row (_("Server (host or host:port)"), "localhost");
  adw_preferences_group_add (test, GTK_WIDGET (self->target_row));
  self->mode_row = combo_row (_("Test type"), mode_names);
  adw_preferences_group_add (test, GTK_WIDGET (self->mode_row));
  self->duration_spin = spin_row (test, NULL, _("Duration"), _("Seconds (per phase in a speed test)"), 1, 3600, 10);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (advanced), _("Advanced"));
  adw_preferences_group_add (test, GTK_WIDGET (advanced));
  self->streams_spin = spin_row (test, advanced, _("Parallel streams"), NULL, 1, 128, 4);
  self->direction_row = combo_row (_("Direction"), directions);
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->direction_row));
  self->bitrate_row = entry_row (_("UDP bitrate (e.g. 100M; empty: 10M)"), "");
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->bitrate_row));
  self->length_row = entry_row (_("Message size (empty: default)"), "");
  adw_expander_row_add_row (advanced, GTK_WIDGET (self->length_row));

  adw_preferences_group_set_title (server, _("Server"));
  self->server_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->server_row), _("Run a server on this computer"));
  self->server_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->server_switch), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->server_row, GTK_WIDGET (self->server_switch));
  adw_action_row_set_activatable_widget (self->server_row, GTK_WIDGET (self->server_switch));
  g_signal_connect (self->server_switch, "state-set", G_CALLBACK (on_server_switch), self);
  adw_preferences_group_add (server, GTK_WIDGET (self->server_row));
  stop_server (self);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (test));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (server));
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_size_request (box, 340, -1);
  return box;
}

static GtkLabel *
figure (GtkFlowBox *box,
        const char *title)
{
  GtkWidget *cell = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *caption = gtk_label_new (title);
  GtkWidget *value = gtk_label_new ("—");

  gtk_widget_add_css_class (caption, "caption-heading");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_widget_add_css_class (value, "title-1");
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_box_append (GTK_BOX (cell), caption);
  gtk_box_append (GTK_BOX (cell), value);
  gtk_flow_box_append (box, cell);
  return GTK_LABEL (value);
}

static GtkWidget *
build_results (WsWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkFlowBox *figures = GTK_FLOW_BOX (gtk_flow_box_new ());

  /* The headline figures wrap onto two lines in a narrow window. */
  gtk_flow_box_set_selection_mode (figures, GTK_SELECTION_NONE);
  gtk_flow_box_set_min_children_per_line (figures, 2);
  gtk_flow_box_set_max_children_per_line (figures, 5);
  gtk_flow_box_set_column_spacing (figures, 24);
  gtk_flow_box_set_row_spacing (figures, 12);
  self->download_value = figure (figures, _("Download"));
  self->upload_value = figure (figures, _("Upload"));
  self->idle_value = figure (figures, _("Idle latency"));
  self->loaded_value = figure (figures, _("Loaded latency"));
  self->rpm_value = figure (figures, _("Responsiveness"));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (figures));

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
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status_label));

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  return box;
}

static void
ws_window_dispose (GObject *object)
{
  WsWindow *self = WS_WINDOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  stop_server (self);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (ws_window_parent_class)->dispose (object);
}

static void
ws_window_class_init (WsWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ws_window_dispose;
  gtk_widget_class_install_action (widget_class, "win.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.stop", NULL);
}

static void
ws_window_init (WsWindow *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *panes = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Wirespeed"));
  gtk_window_set_default_size (GTK_WINDOW (self), 1100, 700);

  self->client = ws_client_new ();
  g_signal_connect (self->client, "sample", G_CALLBACK (on_sample), self);

  self->start_button = GTK_BUTTON (gtk_button_new_with_label (_("Start")));
  g_signal_connect_swapped (self->start_button, "clicked", G_CALLBACK (on_start_clicked), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), GTK_WIDGET (self->start_button));

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), build_form (self));
  gtk_box_append (GTK_BOX (panes), scroller);
  gtk_box_append (GTK_BOX (panes), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (panes), build_results (self));
  gtk_widget_set_vexpand (panes, TRUE);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, panes);
  gtk_box_append (GTK_BOX (outer), header);
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->toasts));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), outer);
  set_running (self, FALSE);
}

WsWindow *
ws_window_new (WsApplication *application)
{
  return g_object_new (WS_TYPE_WINDOW, "application", application, NULL);
}
