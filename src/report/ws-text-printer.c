/* ws-text-printer.c — results as text a person reads
 *
 * One line per interval, then a summary block. The columns follow the
 * mode: throughput (receiver's count, the truth) for TCP_STREAM, loss and
 * jitter for UDP_STREAM, transactions and round-trip percentiles for RR.
 * Pure consumers of WsResult/WsSample: nothing here measures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <glib/gi18n.h>
#include <string.h>

#include "ws-text-printer.h"
#include "ws-units.h"

static void
print_http_header (FILE               *out,
                   const WsTestConfig *config,
                   const char         *streams)
{
  gboolean up = config->direction == WS_DIRECTION_UPLOAD;
  g_autofree char *size = config->bytes ? ws_format_bytes (config->bytes) : NULL;

  if (size != NULL && up)
    /* Translators: "Wirespeed 0.1.0: HTTP upload of 10.0 MB to URL, 1 stream (at most 3600 s)" */
    fprintf (out, _("Wirespeed %s: HTTP upload of %s to %s, %s (at most %u s)\n"),
             PACKAGE_VERSION, size, config->target, streams, config->duration_s);
  else if (size != NULL)
    fprintf (out, _("Wirespeed %s: HTTP download of %s from %s, %s (at most %u s)\n"),
             PACKAGE_VERSION, size, config->target, streams, config->duration_s);
  else if (up)
    /* Translators: "Wirespeed 0.1.0: HTTP upload to URL, 1 stream, 10 s" */
    fprintf (out, _("Wirespeed %s: HTTP upload to %s, %s, %u s\n"),
             PACKAGE_VERSION, config->target, streams, config->duration_s);
  else
    fprintf (out, _("Wirespeed %s: HTTP download from %s, %s, %u s\n"),
             PACKAGE_VERSION, config->target, streams, config->duration_s);
}

/* @peer: the server's kind, as WsClient::peer said: an iperf3 server's
 * speed test has no idle-latency phase. */
void
ws_text_print_header (FILE               *out,
                      const WsTestConfig *config,
                      const char         *peer)
{
  g_autofree char *streams = g_strdup_printf (ngettext ("%u stream", "%u streams", config->streams),
                                              config->streams);

  if (config->mode == WS_TEST_HTTP)
    print_http_header (out, config, streams);
  else if (config->mode == WS_TEST_SPEED && g_strcmp0 (peer, "iperf3") == 0)
    fprintf (out, _("Wirespeed %s: speed test against the iperf3 server %s port %u: %u s "
                    "download, then %u s upload with %s\n"),
             PACKAGE_VERSION, config->target, config->port, config->duration_s,
             config->duration_s, streams);
  else if (config->mode == WS_TEST_SPEED)
    fprintf (out, _("Wirespeed %s: speed test against %s port %u: idle latency, then %u s "
                    "download and %u s upload with %s\n"),
             PACKAGE_VERSION, config->target, config->port, config->duration_s,
             config->duration_s, streams);
  else if (ws_test_mode_is_rr (config->mode))
    /* Translators: "Wirespeed 0.1.0: TCP_RR to HOST port 5201, 1 stream, 10 s" */
    fprintf (out, _("Wirespeed %s: %s to %s port %u, %s, %u s\n"),
             PACKAGE_VERSION, ws_test_mode_to_string (config->mode), config->target,
             config->port, streams, config->duration_s);
  else if (config->bytes != 0)
    {
      g_autofree char *size = ws_format_bytes (config->bytes);

      /* Translators: "Wirespeed 0.1.0: TCP_STREAM upload to HOST port 5201, 4 streams,
       * 10.0 MB (at most 3600 s)" */
      fprintf (out, _("Wirespeed %s: %s %s to %s port %u, %s, %s (at most %u s)\n"),
               PACKAGE_VERSION, ws_test_mode_to_string (config->mode),
               ws_direction_to_string (config->direction), config->target, config->port,
               streams, size, config->duration_s);
    }
  else
    /* Translators: "Wirespeed 0.1.0: TCP_STREAM upload to HOST port 5201, 4 streams, 10 s" */
    fprintf (out, _("Wirespeed %s: %s %s to %s port %u, %s, %u s\n"),
             PACKAGE_VERSION, ws_test_mode_to_string (config->mode),
             ws_direction_to_string (config->direction), config->target, config->port,
             streams, config->duration_s);
  fflush (out);
}

/* printf pads by bytes: pad multi-byte text (dashes, en dashes) by hand. */
static void
put_column (FILE       *out,
            int         width,
            const char *text)
{
  fprintf (out, " %*s", (int) (width + strlen (text) - g_utf8_strlen (text, -1)), text);
}

void
ws_text_print_columns (FILE               *out,
                       const WsTestConfig *config)
{
  fprintf (out, "%-17s", _("Interval"));
  if (ws_test_mode_is_rr (config->mode))
    {
      put_column (out, 12, _("Trans/s"));
      put_column (out, 10, _("p50"));
      put_column (out, 10, _("p90"));
      put_column (out, 10, _("p99"));
      put_column (out, 7, _("Lost"));
    }
  else
    {
      put_column (out, 14, _("Upload"));
      put_column (out, 14, _("Download"));
      put_column (out, 7, ws_test_mode_is_udp (config->mode) ? _("Loss") : _("Retr"));
      put_column (out, 10, ws_test_mode_is_udp (config->mode) ? _("Jitter") : _("RTT"));
    }
  fputc ('\n', out);
}

static char *
rate_or_dash (const WsFlowStats *flow,
              gdouble            seconds)
{
  if (!flow->measured)
    return g_strdup ("—");
  return ws_format_bitrate (ws_flow_stats_bps (flow, seconds));
}

static char *
ms_text (gdouble ms)
{
  if (ms <= 0)
    return g_strdup ("—");
  if (ms < 1)
    return g_strdup_printf ("%.3f ms", ms);
  return g_strdup_printf ("%.2f ms", ms);
}

static void
print_rr_columns (FILE           *out,
                  const WsSample *s)
{
  gdouble span = s->end_s - s->start_s;
  g_autofree char *tps = g_strdup_printf ("%.0f", ws_metrics_per_second (s->transactions, span));
  g_autofree char *p50 = ms_text (s->latency.p50);
  g_autofree char *p90 = ms_text (s->latency.p90);
  g_autofree char *p99 = ms_text (s->latency.p99);
  g_autofree char *lost = g_strdup_printf ("%" G_GUINT64_FORMAT, s->rr_lost);

  put_column (out, 12, tps);
  put_column (out, 10, p50);
  put_column (out, 10, p90);
  put_column (out, 10, p99);
  put_column (out, 7, lost);
}

static void
print_flow_columns (FILE               *out,
                    const WsTestConfig *config,
                    const WsSample     *s)
{
  gdouble span = s->end_s - s->start_s;
  g_autofree char *up = rate_or_dash (&s->upload, span);
  g_autofree char *down = rate_or_dash (&s->download, span);
  g_autofree char *third = NULL;
  g_autofree char *fourth = NULL;

  put_column (out, 14, up);
  put_column (out, 14, down);
  if (s->upload.udp)
    {
      WsFlowStats sum = ws_flow_stats_total (&s->upload, &s->download);

      third = g_strdup_printf ("%.2f%%", ws_flow_stats_loss_percent (&sum));
      fourth = ms_text (sum.jitter_ms);
    }
  else
    {
      /* A web server does not say how often TCP resent. */
      third = config->mode == WS_TEST_HTTP ? g_strdup ("—")
              : g_strdup_printf ("%u", s->upload.retransmits + s->download.retransmits);
      /* The probe's RTT is what a person feels; TCP's own is the fallback. */
      fourth = s->probe.count ? ms_text (s->probe.p50)
               : ms_text (ws_flow_stats_headline_rtt_us (&s->upload, &s->download) / 1000.0);
    }
  put_column (out, 7, third);
  put_column (out, 10, fourth);
}

void
ws_text_print_sample (FILE               *out,
                      const WsTestConfig *config,
                      const WsSample     *s)
{
  g_autofree char *span_text = g_strdup_printf ("%6.2f–%6.2f s", s->start_s, s->end_s);

  fputs (span_text, out);
  if (ws_test_mode_is_rr (config->mode))
    print_rr_columns (out, s);
  else
    print_flow_columns (out, config, s);
  fputc ('\n', out);
  fflush (out);
}

static void
print_udp_flow (FILE              *out,
                const WsFlowStats *flow)
{
  fprintf (out, _("  %-9s %-9s %10" PRIu64 " datagrams sent\n"), "", "",
           flow->sender_packets);
  fprintf (out, _("  %-9s %-9s %10" PRIu64 " received, %" PRIu64
                  " lost (%.2f%%), %" PRIu64 " out of order, %" PRIu64
                  " duplicates, jitter %.3f ms\n"),
           "", "", flow->receiver_packets, flow->lost, ws_flow_stats_loss_percent (flow),
           flow->out_of_order, flow->duplicates, flow->jitter_ms);
  if (flow->policed > 0)
    fprintf (out, _("  %-9s %-9s %10" PRIu64 " dropped by the server: sent faster than "
                    "it allowed\n"), "", "", flow->policed);
}

static void
print_flow (FILE              *out,
            const char        *name,
            const WsFlowStats *flow,
            gdouble            seconds)
{
  g_autofree char *sent = ws_format_bytes (flow->sender_bytes);
  g_autofree char *sent_rate = ws_format_bitrate (ws_flow_stats_sender_bps (flow, seconds));
  g_autofree char *recv = ws_format_bytes (flow->receiver_bytes);
  g_autofree char *recv_rate = ws_format_bitrate (ws_flow_stats_bps (flow, seconds));
  g_autofree char *rtt = ms_text (flow->rtt_us / 1000.0);

  if (!flow->measured)
    return;
  if (flow->udp)
    fprintf (out, "  %-9s %-9s %10s %14s\n", name, _("sender"), sent, sent_rate);
  else
    fprintf (out, "  %-9s %-9s %10s %14s   %s %u, %s %s\n", name, _("sender"), sent, sent_rate,
             _("retransmits"), flow->retransmits, _("RTT"), rtt);
  fprintf (out, "  %-9s %-9s %10s %14s\n", "", _("receiver"), recv, recv_rate);
  if (flow->udp)
    print_udp_flow (out, flow);
}

static void
print_rr_summary (FILE           *out,
                  const WsResult *r)
{
  const WsLatency *l = &r->latency;

  fprintf (out, _("  %" PRIu64 " transactions, %.0f per second\n"), r->transactions,
           ws_result_transactions_per_s (r));
  if (l->count)
    {
      fprintf (out, _("  RTT  min %.3f  mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n"),
               l->min, l->mean, l->p50, l->p90, l->p99, l->p999, l->max);
      fprintf (out, _("       stddev %.3f ms\n"), l->stddev);
    }
  fprintf (out, _("  %" PRIu64 " requests sent, %" PRIu64 " replies received, %"
                  PRIu64 " lost, %" PRIu64 " late\n"),
           r->requests_sent, r->transactions, r->rr_lost, r->rr_late);
}

static void
print_latency_line (FILE            *out,
                    const char      *name,
                    const WsLatency *l)
{
  if (l->count == 0)
    return;
  fprintf (out, _("  %-22s p50 %7.2f   p90 %7.2f   p99 %7.2f ms\n"), name, l->p50, l->p90, l->p99);
}

static void
print_under_load (FILE           *out,
                  const WsResult *r)
{
  gdouble rpm = ws_result_rpm (r);
  gdouble increase = ws_result_latency_increase_ms (r);

  if (r->loaded_latency.count == 0 && r->idle_latency.count == 0)
    return;
  /* Against iperf3 there is no probe: say what was measured instead. */
  if (r->latency_method != NULL)
    fprintf (out, _("Latency (%s):\n"), r->latency_method);
  else
    fprintf (out, _("Latency (UDP probe every 15 ms):\n"));
  print_latency_line (out, _("idle"), &r->idle_latency);
  if (r->mode == WS_TEST_SPEED)
    {
      print_latency_line (out, _("loaded, download"), &r->loaded_latency_download);
      print_latency_line (out, _("loaded, upload"), &r->loaded_latency_upload);
    }
  else
    print_latency_line (out, _("loaded"), &r->loaded_latency);
  if (!isnan (increase))
    fprintf (out, _("  %-22s %+.2f ms at p50\n"), _("increase under load"), increase);
  /* iperf3's stand-ins have no jitter or losses; HTTP's probes do. */
  if (r->latency_method != NULL && r->mode != WS_TEST_HTTP)
    return;
  fprintf (out, _("  %-22s %.3f ms, probe loss %.2f%%\n"), _("jitter"), r->rtt_jitter_ms,
           ws_result_probe_loss_percent (r));
  if (rpm > 0)
    fprintf (out, _("  %-22s %.0f RPM (%s)\n"), _("responsiveness"), rpm, ws_rpm_band_name (rpm));
}

/* A fixed-size test that ended before its bytes were there says so. */
static void
print_incomplete (FILE           *out,
                  const WsResult *r)
{
  g_autofree char *size = NULL;

  if (r->bytes == 0 || r->bytes_complete)
    return;
  size = ws_format_bytes (r->bytes);
  if (r->interrupted)
    fprintf (out, _("Incomplete: stopped before %s had arrived in each direction\n"), size);
  else
    fprintf (out, _("Incomplete: the %u s limit (--time) came before %s had arrived "
                    "in each direction\n"), r->duration_s, size);
}

static void
print_speed_headline (FILE           *out,
                      const WsResult *r)
{
  g_autofree char *down = ws_format_bitrate (ws_flow_stats_bps (&r->download, r->download_s));
  g_autofree char *up = ws_format_bitrate (ws_flow_stats_bps (&r->upload, r->upload_s));

  fprintf (out, _("Download %s   Upload %s   Idle latency %.1f ms   "
                  "Loaded latency %.1f / %.1f ms (down / up)\n"),
           r->download.measured ? down : "—", r->upload.measured ? up : "—",
           r->idle_latency.p50, r->loaded_latency_download.p50, r->loaded_latency_upload.p50);
}

/* Only when the addresses differ: the same address twice says nothing. */
static void
print_client_address (FILE           *out,
                      const WsResult *r)
{
  if (!ws_result_address_translated (r))
    return;
  fprintf (out, _("The server saw this client as %s (local %s): NAT between them\n"),
           r->client_address, r->local_address);
}

/* Only when the server was busy with others, who shared its CPU and link
 * with this test: an idle server, or one that did not say, goes unsaid. */
static void
print_server_tests (FILE           *out,
                    const WsResult *r)
{
  if (r->server_tests <= 0)
    return;
  fprintf (out, ngettext ("Server load: %d other test running\n",
                          "Server load: %d other tests running\n", r->server_tests),
           r->server_tests);
}

/* The first request's phases, as curl -w and blackbox_exporter give them. */
static void
print_http (FILE           *out,
            const WsResult *r)
{
  const WsHttpSummary *h = r->http;
  g_autofree char *dns = ms_text (h->dns_ms);
  g_autofree char *connect = ms_text (h->connect_ms);
  g_autofree char *tls = ms_text (h->tls_ms);
  g_autofree char *ttfb = ms_text (h->ttfb_ms);
  g_autofree char *transfer = ms_text (h->transfer_ms);
  g_autofree char *body = ws_format_bytes (h->body_bytes);

  /* Translators: "HTTP 200 over HTTP/1.1 from 192.0.2.7:443" */
  fprintf (out, _("HTTP %u over HTTP/%s from %s\n"), h->status,
           h->http_version ? h->http_version : "?", h->remote_address ? h->remote_address : "?");
  if (h->tls_version != NULL)
    fprintf (out, _("  TLS %s, %s\n"), h->tls_version, h->tls_cipher ? h->tls_cipher : "—");
  fprintf (out, _("  first request: DNS %s, connect %s, TLS %s, first byte %s, transfer %s, "
                  "body %s\n"), dns, connect, tls, ttfb, transfer, body);
  fprintf (out, ngettext ("  %" PRIu64 " request\n", "  %" PRIu64 " requests\n", h->requests),
           h->requests);
}

static void
print_http_flow (FILE              *out,
                 const char        *name,
                 const WsFlowStats *flow,
                 gdouble            seconds)
{
  g_autofree char *bytes = ws_format_bytes (flow->receiver_bytes);
  g_autofree char *rate = ws_format_bitrate (ws_flow_stats_bps (flow, seconds));

  if (flow->measured)
    fprintf (out, "  %-9s %-9s %10s %14s\n", name, "", bytes, rate);
}

void
ws_text_print_summary (FILE           *out,
                       const WsResult *r)
{
  if (r->mode == WS_TEST_SPEED)
    print_speed_headline (out, r);
  fprintf (out, _("Summary over %.2f s%s:\n"), r->elapsed_s,
           r->interrupted ? _(" (stopped early)") : "");
  if (ws_test_mode_is_rr (r->mode))
    {
      print_rr_summary (out, r);
      print_client_address (out, r);
      print_server_tests (out, r);
      fflush (out);
      return;
    }
  if (r->http != NULL)
    {
      print_http_flow (out, _("Upload"), &r->upload, r->upload_s);
      print_http_flow (out, _("Download"), &r->download, r->download_s);
    }
  else
    {
      print_flow (out, _("Upload"), &r->upload, r->upload_s);
      print_flow (out, _("Download"), &r->download, r->download_s);
    }
  print_incomplete (out, r);

  if (r->stream_summaries->len > 1)
    for (guint i = 0; i < r->stream_summaries->len; i++)
      {
        const WsStreamSummary *st = &g_array_index (r->stream_summaries, WsStreamSummary, i);
        g_autofree char *bytes = ws_format_bytes (st->flow.receiver_bytes);
        g_autofree char *rate = ws_format_bitrate (ws_flow_stats_bps (&st->flow, st->duration_s));

        fprintf (out, _("  stream %-3u %-9s %10s %14s received\n"), st->id,
                 ws_direction_to_string (st->direction), bytes, rate);
      }
  if (r->http != NULL)
    print_http (out, r);
  print_under_load (out, r);
  print_client_address (out, r);
  print_server_tests (out, r);
  fflush (out);
}
