/* ws-text-printer.c — results as text a person reads
 *
 * One line per interval (the receiver's count, which is the truth), then a
 * summary block with the sender's and the receiver's view of each direction.
 * Pure consumers of WsResult/WsSample: nothing here measures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ws-text-printer.h"
#include "ws-units.h"

void
ws_text_print_header (FILE               *out,
                      const WsTestConfig *config)
{
  fprintf (out, _("Wirespeed %s: %s %s to %s port %u, %u stream%s, %u s\n"),
           PACKAGE_VERSION, ws_test_mode_to_string (config->mode),
           ws_direction_to_string (config->direction), config->target, config->port,
           config->streams, config->streams == 1 ? "" : "s", config->duration_s);
  fflush (out);
}

void
ws_text_print_columns (FILE *out)
{
  fprintf (out, "%-17s %14s %14s %6s %10s\n", _("Interval"), _("Upload"), _("Download"),
           _("Retr"), _("RTT"));
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
rtt_text (guint32 rtt_us)
{
  if (rtt_us == 0)
    return g_strdup ("—");
  return g_strdup_printf ("%.2f ms", rtt_us / 1000.0);
}

void
ws_text_print_sample (FILE               *out,
                      const WsTestConfig *config,
                      const WsSample     *s)
{
  gdouble span = s->end_s - s->start_s;
  g_autofree char *span_text = g_strdup_printf ("%6.2f–%6.2f s", s->start_s, s->end_s);
  g_autofree char *up = rate_or_dash (&s->upload, span);
  g_autofree char *down = rate_or_dash (&s->download, span);
  g_autofree char *rtt = rtt_text (s->upload.measured && s->upload.rtt_us
                                   ? s->upload.rtt_us : s->download.rtt_us);

  /* printf pads by bytes: pad the multi-byte dash columns by hand. */
  fprintf (out, "%s %*s %*s %6u %10s\n", span_text,
           (int) (14 + strlen (up) - g_utf8_strlen (up, -1)), up,
           (int) (14 + strlen (down) - g_utf8_strlen (down, -1)), down,
           s->upload.retransmits + s->download.retransmits, rtt);
  fflush (out);
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
  g_autofree char *rtt = rtt_text (flow->rtt_us);

  if (!flow->measured)
    return;
  fprintf (out, "  %-9s %-9s %10s %14s   %s %u, %s %s\n", name, _("sender"), sent, sent_rate,
           _("retransmits"), flow->retransmits, _("RTT"), rtt);
  fprintf (out, "  %-9s %-9s %10s %14s\n", "", _("receiver"), recv, recv_rate);
}

void
ws_text_print_summary (FILE           *out,
                       const WsResult *r)
{
  fprintf (out, _("Summary over %.2f s%s:\n"), r->elapsed_s,
           r->interrupted ? _(" (stopped early)") : "");
  print_flow (out, _("Upload"), &r->upload, r->elapsed_s);
  print_flow (out, _("Download"), &r->download, r->elapsed_s);

  if (r->stream_summaries->len > 1)
    for (guint i = 0; i < r->stream_summaries->len; i++)
      {
        const WsStreamSummary *st = &g_array_index (r->stream_summaries, WsStreamSummary, i);
        g_autofree char *bytes = ws_format_bytes (st->flow.receiver_bytes);
        g_autofree char *rate = ws_format_bitrate (ws_flow_stats_bps (&st->flow, st->duration_s));

        fprintf (out, _("  stream %-3u %-9s %10s %14s received\n"), st->id,
                 ws_direction_to_string (st->direction), bytes, rate);
      }
  fflush (out);
}
