/* ws-result.c — the one results model: samples, summary, stream totals
 *
 * What is measured, as data. Figures derived from it are in ws-metrics.c,
 * its JSON in ws-result-json.c (writer) and ws-result-reader.c (reader).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ws-result.h"

G_DEFINE_BOXED_TYPE (WsResult, ws_result, ws_result_ref, ws_result_unref)

WsResult *
ws_result_new (void)
{
  WsResult *result = g_new0 (WsResult, 1);

  result->ref_count = 1;
  result->protocol_version = 2; /* WS_PROTOCOL_V2, the newest */
  result->server_tests = -1;
  result->samples = g_array_new (FALSE, TRUE, sizeof (WsSample));
  result->stream_summaries = g_array_new (FALSE, TRUE, sizeof (WsStreamSummary));
  return result;
}

WsResult *
ws_result_ref (WsResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_atomic_int_inc (&result->ref_count);
  return result;
}

void
ws_result_unref (WsResult *result)
{
  g_return_if_fail (result != NULL);
  if (!g_atomic_int_dec_and_test (&result->ref_count))
    return;
  g_free (result->target);
  g_free (result->remote_address);
  g_free (result->local_address);
  g_free (result->client_address);
  g_free (result->peer_protocol);
  g_free (result->latency_method);
  g_clear_pointer (&result->http, ws_http_summary_free);
  g_clear_pointer (&result->start_time, g_date_time_unref);
  g_array_unref (result->samples);
  g_array_unref (result->stream_summaries);
  g_clear_pointer (&result->loaded_histogram, ws_histogram_free);
  g_free (result);
}

WsHttpSummary *
ws_http_summary_new (void)
{
  WsHttpSummary *h = g_new0 (WsHttpSummary, 1);

  h->dns_ms = h->connect_ms = h->tls_ms = h->ttfb_ms = h->transfer_ms = -1;
  return h;
}

void
ws_http_summary_free (WsHttpSummary *h)
{
  g_free (h->url);
  g_free (h->http_version);
  g_free (h->tls_version);
  g_free (h->tls_cipher);
  g_free (h->remote_address);
  g_free (h);
}

void
ws_result_add_sample (WsResult       *result,
                      const WsSample *sample)
{
  g_array_append_val (result->samples, *sample);
}

void
ws_latency_from_histogram (WsLatency         *latency,
                           const WsHistogram *h)
{
  memset (latency, 0, sizeof *latency);
  latency->count = ws_histogram_count (h);
  if (latency->count == 0)
    return;
  latency->min = ws_histogram_min (h) / 1e6;
  latency->mean = ws_histogram_mean (h) / 1e6;
  latency->p50 = ws_histogram_percentile (h, 50) / 1e6;
  latency->p90 = ws_histogram_percentile (h, 90) / 1e6;
  latency->p99 = ws_histogram_percentile (h, 99) / 1e6;
  latency->p999 = ws_histogram_percentile (h, 99.9) / 1e6;
  latency->max = ws_histogram_max (h) / 1e6;
  /* NaN only after an absurd overflow; JSON has no NaN. */
  latency->stddev = isnan (ws_histogram_stddev (h)) ? 0 : ws_histogram_stddev (h) / 1e6;
}

/* Loaded latency over several phases is the distribution of them all, not
 * an average of their percentiles. */
void
ws_result_merge_loaded_latency (WsResult       *into,
                                const WsResult *from)
{
  if (from->loaded_histogram == NULL)
    return;
  if (into->loaded_histogram == NULL)
    into->loaded_histogram = ws_histogram_new ();
  ws_histogram_merge (into->loaded_histogram, from->loaded_histogram);
  ws_latency_from_histogram (&into->loaded_latency, into->loaded_histogram);
}

/* Whether something between client and server rewrote the client's address
 * or port, NAT mostly: unknown (FALSE) when the server did not say. */
gboolean
ws_result_address_translated (const WsResult *result)
{
  return result->client_address != NULL && result->local_address != NULL
         && g_strcmp0 (result->client_address, result->local_address) != 0;
}
