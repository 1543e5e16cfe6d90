/* ws-figures.c — the live figures, the chart and the status of a test
 *
 * The right-hand side of the Test page: the headline figures, the chart of
 * throughput per direction and median latency, the latency and datagram
 * details of a finished test, and one status line. While a test runs the
 * figures are the mean so far, so they settle on the final result instead
 * of jumping with every interval. Each figure is a read-only property
 * ("figure-download"…), NULL while the test type has no such figure.
 *
 * Live samples are applied once a frame (a tick callback): when several
 * come between two frames, as on a loaded machine, the chart's lines grow
 * by all of them in one change and the figures are set once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <math.h>

#include "ws-figure.h"
#include "ws-figures.h"
#include "ws-gui-util.h"
#include "ws-line-layer.h"
#include "ws-units.h"

typedef enum {
  FIGURE_DOWNLOAD,
  FIGURE_UPLOAD,
  FIGURE_TRANSACTIONS,
  FIGURE_IDLE,
  FIGURE_LOADED,
  FIGURE_RPM,
  N_FIGURES
} Figure;

struct _WsFigures {
  GtkBox parent_instance;

  WsFigure *download;
  WsFigure *upload;
  WsFigure *transactions;
  WsFigure *idle;
  WsFigure *loaded;
  WsFigure *rpm;
  WsChart *chart;
  GtkLabel *detail_label;
  GtkLabel *status_label;
  GtkInscription *progress_line;  /* the status while a test runs */

  WsFigure *figures[N_FIGURES];
  WsLineLayer *upload_line;
  WsLineLayer *download_line;
  WsLineLayer *latency_line;
  WsResult *result;        /* shown, for when the units change */
  gboolean bytes;          /* rates in MB/s rather than Mbit/s */
  GArray *pending;         /* WsSample, come since the last frame */
  guint tick_id;
  /* Running means of the live samples, per direction */
  gdouble up_bits, up_s, down_bits, down_s;
  gdouble live_tps;          /* the last interval's; NAN: none */
  gdouble live_latency_ms;
};

G_DEFINE_FINAL_TYPE (WsFigures, ws_figures, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_FIGURE_DOWNLOAD,
  PROP_FIGURE_UPLOAD,
  PROP_FIGURE_TRANSACTIONS,
  PROP_FIGURE_IDLE,
  PROP_FIGURE_LOADED,
  PROP_FIGURE_RPM,
  PROP_STATUS,
  PROP_DETAIL,
  PROP_N_POINTS,
  PROP_CHART,
  PROP_BYTES,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static const GdkRGBA upload_color = { 0.21, 0.52, 0.89, 1 };   /* GNOME blue 3 */
static const GdkRGBA download_color = { 0.18, 0.76, 0.49, 1 }; /* GNOME green 3 */
static const GdkRGBA latency_color = { 0.96, 0.47, 0.0, 1 };   /* GNOME orange 4 */

/* ---- Figures ---- */

static void
set_figure (WsFigures  *self,
            Figure      which,
            const char *text)
{
  ws_figure_set_value (self->figures[which], text);
}

static void
set_latency_figure (WsFigures       *self,
                    Figure           which,
                    const WsLatency *l)
{
  g_autofree char *text = l->count ? ws_gui_format_ms (l->p50) : NULL;

  set_figure (self, which, text);
}

static void
set_rate_figure (WsFigures *self,
                 Figure     which,
                 gdouble    bits,
                 gdouble    seconds)
{
  g_autofree char *text = seconds > 0 ? ws_gui_format_rate (bits / seconds, self->bytes) : NULL;

  set_figure (self, which, text);
}

/* Request/response tests count transactions; the others move bytes. */
void
ws_figures_show_mode (WsFigures  *self,
                      WsTestMode  mode)
{
  gboolean rr = ws_test_mode_is_rr (mode);

  g_return_if_fail (WS_IS_FIGURES (self));
  gtk_widget_set_visible (GTK_WIDGET (self->download), !rr);
  gtk_widget_set_visible (GTK_WIDGET (self->upload), !rr);
  gtk_widget_set_visible (GTK_WIDGET (self->transactions), rr);
  gtk_widget_set_visible (GTK_WIDGET (self->idle), !rr);
  gtk_widget_set_visible (GTK_WIDGET (self->rpm), TRUE);
}

/* The chart's points for @n samples: one change of each line. */
static void
add_to_chart (WsFigures      *self,
              const WsSample *samples,
              guint           n)
{
  g_autofree WsLinePoint *up = g_new (WsLinePoint, n);
  g_autofree WsLinePoint *down = g_new (WsLinePoint, n);
  g_autofree WsLinePoint *latency = g_new (WsLinePoint, n);

  for (guint i = 0; i < n; i++)
    {
      const WsSample *s = &samples[i];
      gdouble span = s->end_s - s->start_s;

      up[i] = down[i] = latency[i] = (WsLinePoint) { s->start_s, s->end_s, NAN };
      if (s->upload.measured)
        up[i].value = ws_flow_stats_bps (&s->upload, span);
      if (s->download.measured)
        down[i].value = ws_flow_stats_bps (&s->download, span);
      latency[i].value = ws_sample_latency_ms (s);
    }
  ws_line_layer_append_points (self->upload_line, up, n);
  ws_line_layer_append_points (self->download_line, down, n);
  ws_line_layer_append_points (self->latency_line, latency, n);
}

/* The running means, and the last interval's transactions and latency. */
static void
add_to_figures (WsFigures      *self,
                const WsSample *s)
{
  gdouble span = s->end_s - s->start_s;
  gdouble latency_ms = ws_sample_latency_ms (s);

  if (s->download.measured)
    {
      self->down_bits += ws_flow_stats_bps (&s->download, span) * span;
      self->down_s += span;
    }
  if (s->upload.measured)
    {
      self->up_bits += ws_flow_stats_bps (&s->upload, span) * span;
      self->up_s += span;
    }
  if (s->latency.count)
    self->live_tps = ws_metrics_per_second (s->transactions, span);
  if (!isnan (latency_ms))
    self->live_latency_ms = latency_ms;
}

/* @text: (transfer full) */
static void
set_live_figure (WsFigures  *self,
                 Figure      which,
                 char       *text)
{
  ws_figure_set_live_value (self->figures[which], text);
  g_free (text);
}

/* What add_to_figures() gathered, as the live values: drawn again, the
 * window not laid out again. */
static void
show_live_figures (WsFigures *self)
{
  if (self->down_s > 0)
    set_live_figure (self, FIGURE_DOWNLOAD, ws_gui_format_rate (self->down_bits / self->down_s, self->bytes));
  if (self->up_s > 0)
    set_live_figure (self, FIGURE_UPLOAD, ws_gui_format_rate (self->up_bits / self->up_s, self->bytes));
  if (!isnan (self->live_tps))
    set_live_figure (self, FIGURE_TRANSACTIONS, g_strdup_printf ("%.0f", self->live_tps));
  if (!isnan (self->live_latency_ms))
    set_live_figure (self, FIGURE_LOADED, ws_gui_format_ms (self->live_latency_ms));
}

static void
stop_ticking (WsFigures *self)
{
  if (self->tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
}

/* The samples come since the last frame, on the chart and in the figures. */
static void
apply_pending (WsFigures *self)
{
  stop_ticking (self);
  if (self->pending->len == 0)
    return;
  add_to_chart (self, (const WsSample *) self->pending->data, self->pending->len);
  for (guint i = 0; i < self->pending->len; i++)
    add_to_figures (self, &g_array_index (self->pending, WsSample, i));
  g_array_set_size (self->pending, 0);
  show_live_figures (self);
}

static gboolean
on_frame (GtkWidget     *widget,
          GdkFrameClock *clock,
          gpointer       data)
{
  WsFigures *self = WS_FIGURES (widget);

  /* Removed by GTK as this returns. */
  self->tick_id = 0;
  apply_pending (self);
  return G_SOURCE_REMOVE;
}

void
ws_figures_add_sample (WsFigures      *self,
                       const WsSample *s)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  g_array_append_val (self->pending, *s);
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_frame, NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
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

/* The first request's phases, as the command line prints them. */
static void
append_http_line (GString             *text,
                  const WsHttpSummary *h)
{
  g_autofree char *dns = h->dns_ms >= 0 ? ws_gui_format_ms (h->dns_ms) : g_strdup ("—");
  g_autofree char *connect = h->connect_ms >= 0 ? ws_gui_format_ms (h->connect_ms) : g_strdup ("—");
  g_autofree char *tls = h->tls_ms >= 0 ? ws_gui_format_ms (h->tls_ms) : g_strdup ("—");
  g_autofree char *ttfb = h->ttfb_ms >= 0 ? ws_gui_format_ms (h->ttfb_ms) : g_strdup ("—");
  g_autofree char *transfer = h->transfer_ms >= 0 ? ws_gui_format_ms (h->transfer_ms)
                                                  : g_strdup ("—");

  if (text->len)
    g_string_append_c (text, '\n');
  /* Translators: "HTTP 200 over HTTP/1.1: DNS 0.1 ms · connect 0.1 ms · TLS — ·
   * first byte 0.5 ms · transfer 312 ms" */
  g_string_append_printf (text, _("HTTP %u over HTTP/%s: DNS %s · connect %s · TLS %s · "
                                  "first byte %s · transfer %s"),
                          h->status, h->http_version ? h->http_version : "?", dns, connect, tls,
                          ttfb, transfer);
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
                            ? ws_metrics_rr_loss_percent (r->transactions, r->rr_lost)
                            : ws_result_probe_loss_percent (r));
  if (r->http != NULL)
    append_http_line (text, r->http);
  if (g_strcmp0 (r->peer_protocol, "iperf3") == 0)
    g_string_append_printf (text, "%s%s", text->len ? "\n" : "",
                            _("Against an iperf3 server: idle latency is the TCP connect time, "
                              "loaded latency the kernel’s smoothed RTT of the streams"));
  if (r->upload.udp || r->download.udp)
    {
      WsFlowStats sum = ws_flow_stats_total (&r->upload, &r->download);

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
set_detail (WsFigures  *self,
            const char *text)
{
  gtk_label_set_text (self->detail_label, text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAIL]);
}

static void
show_result_figures (WsFigures      *self,
                     const WsResult *r)
{
  gdouble rpm = ws_result_rpm (r);
  g_autofree char *rpm_text = rpm > 0 ? g_strdup_printf ("%.0f (%s)", rpm, ws_rpm_band_name (rpm)) : NULL;
  g_autofree char *tps = ws_test_mode_is_rr (r->mode) && r->elapsed_s > 0
                         ? g_strdup_printf ("%.0f", ws_result_transactions_per_s (r)) : NULL;
  g_autofree char *detail = describe_result (r);

  ws_figures_show_mode (self, r->mode);
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
  set_detail (self, detail);
}

/* A finished test's figures and details; its samples are on the chart. */
void
ws_figures_show_result (WsFigures *self,
                        WsResult  *result)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  g_return_if_fail (result != NULL);
  apply_pending (self);
  ws_result_ref (result);
  g_clear_pointer (&self->result, ws_result_unref);
  self->result = result;
  show_result_figures (self, result);
}

/* A result from the history: its chart drawn again, and its figures. */
void
ws_figures_load_result (WsFigures *self,
                        WsResult  *result)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  ws_figures_reset (self);
  add_to_chart (self, (const WsSample *) result->samples->data, result->samples->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
  ws_figures_show_result (self, result);
}

void
ws_figures_reset (WsFigures *self)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  stop_ticking (self);
  g_array_set_size (self->pending, 0);
  for (guint i = 0; i < N_FIGURES; i++)
    set_figure (self, i, NULL);
  set_detail (self, "");
  ws_line_layer_clear (self->upload_line);
  ws_line_layer_clear (self->download_line);
  ws_line_layer_clear (self->latency_line);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
  self->up_bits = self->up_s = self->down_bits = self->down_s = 0;
  self->live_tps = self->live_latency_ms = NAN;
  g_clear_pointer (&self->result, ws_result_unref);
}

void
ws_figures_set_status (WsFigures  *self,
                       const char *text,
                       gboolean    error)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_line), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
  gtk_label_set_text (self->status_label, text);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

/* A status that changes while a test runs ("Testing… 3 s"): on one line
 * whose size does not follow the text, so that it does not lay out the
 * window again every second. */
void
ws_figures_set_progress (WsFigures  *self,
                         const char *text)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  if (!gtk_widget_get_visible (GTK_WIDGET (self->progress_line)))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_line), TRUE);
    }
  else if (g_strcmp0 (text, gtk_inscription_get_text (self->progress_line)) == 0)
    return;
  gtk_inscription_set_text (self->progress_line, text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

void
ws_figures_set_bytes (WsFigures *self,
                      gboolean   bytes)
{
  g_return_if_fail (WS_IS_FIGURES (self));
  bytes = !!bytes;
  if (self->bytes == bytes)
    return;
  apply_pending (self);
  self->bytes = bytes;
  ws_chart_invalidate (self->chart);
  if (self->result != NULL)
    show_result_figures (self, self->result);
  else
    show_live_figures (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES]);
}

WsChart *
ws_figures_get_chart (WsFigures *self)
{
  g_return_val_if_fail (WS_IS_FIGURES (self), NULL);
  return self->chart;
}

/* ---- The chart's axes and hover box ---- */

static char *
format_rate (gdouble   bps,
             WsFigures *self)
{
  return self->bytes ? ws_format_byterate (bps) : ws_format_bitrate (bps);
}

static gdouble
rate_ceiling (gdouble   max_bps,
              WsFigures *self)
{
  return ws_axis_ceiling_bps (max_bps, self->bytes);
}

static char *
format_axis_ms (gdouble  ms,
                gpointer data)
{
  return g_strdup_printf ("%.3g ms", ms);
}

static gdouble
ms_ceiling (gdouble  max_ms,
            gpointer data)
{
  return ws_axis_ceiling (max_ms > 0 ? max_ms : 1);
}

/* "Upload 940 Mbit/s": the layer's legend name, then the rate. */
static void
describe_rate (WsLineLayer *line,
               GString     *text,
               gdouble      bps,
               WsFigures   *self)
{
  g_autofree char *rate = format_rate (bps, self);

  g_string_append_printf (text, "\n%s %s", ws_chart_layer_get_title (WS_CHART_LAYER (line)), rate);
}

static void
describe_latency (WsLineLayer *line,
                  GString     *text,
                  gdouble      ms,
                  gpointer     data)
{
  g_string_append_printf (text, _("\nLatency %.2f ms"), ms);
}

static WsLineLayer *
add_line (WsFigures               *self,
          const char              *title,
          const GdkRGBA           *color,
          WsChartAxis              axis,
          WsLineLayerDescribeFunc  describe)
{
  g_autoptr(WsLineLayer) line = ws_line_layer_new (title, color, axis);

  ws_line_layer_set_describe_func (line, describe, self);
  ws_chart_add_layer (self->chart, WS_CHART_LAYER (line));
  return line;
}

/* Throughput on the left axis, the latency's median dashed on the right. */
static void
setup_chart (WsFigures *self)
{
  ws_chart_set_axis (self->chart, WS_CHART_AXIS_PRIMARY, (WsChartCeilingFunc) rate_ceiling,
                     (WsChartLabelFunc) format_rate, NULL, self);
  ws_chart_set_axis (self->chart, WS_CHART_AXIS_SECONDARY, ms_ceiling, format_axis_ms, &latency_color, self);
  self->upload_line = add_line (self, _("Upload"), &upload_color, WS_CHART_AXIS_PRIMARY,
                                (WsLineLayerDescribeFunc) describe_rate);
  self->download_line = add_line (self, _("Download"), &download_color, WS_CHART_AXIS_PRIMARY,
                                  (WsLineLayerDescribeFunc) describe_rate);
  self->latency_line = add_line (self, _("Latency (p50)"), &latency_color, WS_CHART_AXIS_SECONDARY,
                                 describe_latency);
  ws_line_layer_set_style (self->latency_line, 1.5, TRUE);
}

/* ---- GObject ---- */

static void
on_figure_changed (WsFigures  *self,
                   GParamSpec *pspec,
                   WsFigure   *figure)
{
  for (guint i = 0; i < N_FIGURES; i++)
    if (self->figures[i] == figure)
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIGURE_DOWNLOAD + i]);
}

static void
ws_figures_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  WsFigures *self = WS_FIGURES (object);

  if (prop_id >= PROP_FIGURE_DOWNLOAD && prop_id <= PROP_FIGURE_RPM)
    {
      WsFigure *figure = self->figures[prop_id - PROP_FIGURE_DOWNLOAD];

      g_value_set_string (value, gtk_widget_get_visible (GTK_WIDGET (figure)) ? ws_figure_get_value (figure) : NULL);
      return;
    }
  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_string (value, gtk_widget_get_visible (GTK_WIDGET (self->progress_line))
                                 ? gtk_inscription_get_text (self->progress_line)
                                 : gtk_label_get_text (self->status_label));
      break;
    case PROP_DETAIL:
      g_value_set_string (value, gtk_label_get_text (self->detail_label));
      break;
    case PROP_N_POINTS:
      g_value_set_uint (value, ws_line_layer_get_n_points (self->upload_line) + self->pending->len);
      break;
    case PROP_CHART:
      g_value_set_object (value, self->chart);
      break;
    case PROP_BYTES:
      g_value_set_boolean (value, self->bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_figures_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_BYTES:
      ws_figures_set_bytes (WS_FIGURES (object), g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_figures_dispose (GObject *object)
{
  WsFigures *self = WS_FIGURES (object);

  g_clear_pointer (&self->result, ws_result_unref);
  stop_ticking (self);
  self->upload_line = self->download_line = self->latency_line = NULL;
  G_OBJECT_CLASS (ws_figures_parent_class)->dispose (object);
}

static void
ws_figures_finalize (GObject *object)
{
  g_array_unref (WS_FIGURES (object)->pending);
  G_OBJECT_CLASS (ws_figures_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *object_class)
{
  const char *names[] = { "figure-download", "figure-upload", "figure-transactions",
                          "figure-idle", "figure-loaded", "figure-rpm" };
  const GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  /* The figure as shown, or NULL while the test type has none. */
  for (guint i = 0; i < N_FIGURES; i++)
    properties[PROP_FIGURE_DOWNLOAD + i] = g_param_spec_string (names[i], NULL, NULL, NULL, read_only);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, read_only);
  properties[PROP_DETAIL] = g_param_spec_string ("detail", NULL, NULL, NULL, read_only);
  /* The intervals on the chart. */
  properties[PROP_N_POINTS] = g_param_spec_uint ("n-points", NULL, NULL, 0, G_MAXUINT, 0, read_only);
  properties[PROP_CHART] = g_param_spec_object ("chart", NULL, NULL, WS_TYPE_CHART,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Rates in bytes per second rather than bits. */
  properties[PROP_BYTES] = g_param_spec_boolean ("bytes", NULL, NULL, FALSE,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ws_figures_class_init (WsFiguresClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ws_figures_dispose;
  object_class->finalize = ws_figures_finalize;
  object_class->get_property = ws_figures_get_property;
  object_class->set_property = ws_figures_set_property;
  install_properties (object_class);

  g_type_ensure (WS_TYPE_FIGURE);
  g_type_ensure (WS_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/wirespeed/Wirespeed/ws-figures.ui");
  gtk_widget_class_bind_template_child (widget_class, WsFigures, download);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, upload);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, transactions);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, idle);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, loaded);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, rpm);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, chart);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, detail_label);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, status_label);
  gtk_widget_class_bind_template_child (widget_class, WsFigures, progress_line);
}

static void
ws_figures_init (WsFigures *self)
{
  WsFigure *figures[N_FIGURES];

  gtk_widget_init_template (GTK_WIDGET (self));
  self->pending = g_array_new (FALSE, FALSE, sizeof (WsSample));
  self->live_tps = self->live_latency_ms = NAN;
  figures[FIGURE_DOWNLOAD] = self->download;
  figures[FIGURE_UPLOAD] = self->upload;
  figures[FIGURE_TRANSACTIONS] = self->transactions;
  figures[FIGURE_IDLE] = self->idle;
  figures[FIGURE_LOADED] = self->loaded;
  figures[FIGURE_RPM] = self->rpm;
  for (guint i = 0; i < N_FIGURES; i++)
    {
      self->figures[i] = figures[i];
      g_signal_connect_object (figures[i], "notify::value", G_CALLBACK (on_figure_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (figures[i], "notify::visible", G_CALLBACK (on_figure_changed), self, G_CONNECT_SWAPPED);
    }
  setup_chart (self);
}
