/* ws-sampler.c — the client's two views of a test merged into samples
 *
 * Each interval has two halves: what the client's own streams did (read at
 * the client's tick) and what the server reports in INTERVAL and UDP_STATS
 * messages. A sample is ready when both halves are in. The receiver's half
 * is the truth for bytes and loss; the sender's half carries TCP_INFO.
 *
 * The server's clock starts a little before ours (it sends TEST_START), so
 * after TEST_DONE it may report one interval more than we ticked: while
 * finishing, everything past our last interval folds into it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-sampler.h"

typedef struct {
  WsSample sample;
  gboolean local_done;
  guint server_reports;
  guint64 up_rtt_sum, down_rtt_sum;
  guint up_rtt_n, down_rtt_n;
} Pending;

struct _WsSampler {
  WsTestRequest request;
  WsStream **streams; /* the client's, not owned */
  guint n_streams;
  WsResult *result;   /* not owned */
  guint expected_reports;

  WsStreamCounters *last;
  WsUdpCounts *last_udp;
  guint32 *first_retransmits;
  WsStreamResult *server_results;
  WsUdpCounts *server_udp;
  guint64 *server_policed; /* per stream, from the INTERVALs */

  GArray *pending; /* Pending, by interval index */
  guint next_emit;
  guint local_index;
  gint64 start_ns;
  gint64 interval_start_ns;
  gint64 last_tick_ns;
  gboolean finishing;

  WsHistogram *interval_latency;
  WsHistogram *total_latency;
  WsHistogram *interval_probe;
  WsHistogram *total_probe;
  gdouble rtt_jitter_ns;
};

static WsStreamRole
role_of (WsSampler *self,
         guint      id)
{
  return ws_test_request_stream_role (&self->request, id);
}

static gboolean
server_receives_udp (WsSampler *self,
                     guint      id)
{
  return role_of (self, id) == WS_ROLE_CLIENT_SENDS && ws_test_mode_is_udp (self->request.mode);
}

WsSampler *
ws_sampler_new (const WsTestRequest  *request,
                WsStream            **streams,
                WsResult             *result)
{
  WsSampler *self = g_new0 (WsSampler, 1);
  guint n = ws_test_request_n_streams (request);

  self->request = *request;
  self->streams = streams;
  self->n_streams = n;
  self->result = result;
  self->last = g_new0 (WsStreamCounters, n);
  self->last_udp = g_new0 (WsUdpCounts, n);
  self->first_retransmits = g_new0 (guint32, n);
  self->server_results = g_new0 (WsStreamResult, n);
  self->server_udp = g_new0 (WsUdpCounts, n);
  self->server_policed = g_new0 (guint64, n);
  self->pending = g_array_new (FALSE, TRUE, sizeof (Pending));
  self->interval_latency = ws_histogram_new ();
  self->total_latency = ws_histogram_new ();
  self->interval_probe = ws_histogram_new ();
  self->total_probe = ws_histogram_new ();
  self->expected_reports = n;
  for (guint id = 0; id < n; id++)
    if (server_receives_udp (self, id))
      self->expected_reports++;
  return self;
}

void
ws_sampler_free (WsSampler *self)
{
  g_free (self->last);
  g_free (self->last_udp);
  g_free (self->first_retransmits);
  g_free (self->server_results);
  g_free (self->server_udp);
  g_free (self->server_policed);
  g_array_unref (self->pending);
  ws_histogram_free (self->interval_latency);
  ws_histogram_free (self->total_latency);
  ws_histogram_free (self->interval_probe);
  ws_histogram_free (self->total_probe);
  g_free (self);
}

void
ws_sampler_start (WsSampler *self,
                  gint64     now_ns)
{
  self->start_ns = self->interval_start_ns = now_ns;
  for (guint i = 0; i < self->n_streams; i++)
    {
      ws_stream_read (self->streams[i], &self->last[i]);
      self->first_retransmits[i] = self->last[i].retransmits;
    }
}

static Pending *
pending_at (WsSampler *self,
            guint      index)
{
  gboolean flows = !ws_test_mode_is_rr (self->request.mode);

  while (self->pending->len <= index)
    {
      Pending p = { 0 };

      p.sample.index = self->pending->len;
      p.sample.upload.measured = flows && self->request.direction != WS_DIRECTION_DOWNLOAD;
      p.sample.download.measured = flows && self->request.direction != WS_DIRECTION_UPLOAD;
      p.sample.upload.udp = p.sample.download.udp = ws_test_mode_is_udp (self->request.mode);
      g_array_append_val (self->pending, p);
    }
  return &g_array_index (self->pending, Pending, index);
}

static guint64
grown (guint64 now,
       guint64 before)
{
  /* Late arrivals shrink a loss count: an interval never reports < 0. */
  return now > before ? now - before : 0;
}

static void
add_udp_counts (WsFlowStats       *flow,
                const WsUdpCounts *now,
                const WsUdpCounts *before)
{
  flow->receiver_packets += now->received - before->received;
  flow->lost += grown (now->lost, before->lost);
  flow->out_of_order += now->out_of_order - before->out_of_order;
  flow->duplicates += now->duplicates - before->duplicates;
  flow->jitter_ms = MAX (flow->jitter_ms, now->jitter_ns / 1e6);
}

/* A receiver counts a gap once a later datagram shows it, so the last
 * datagrams of a stream, lost, would go uncounted (one run in twenty
 * through a 5 % drop lost its last one). Once the test has ended and the
 * receiver drained, whatever the sender sent and the receiver never saw is
 * lost: lost == sent − received, exactly. */
static void
count_trailing_loss (WsFlowStats *flow)
{
  if (flow->sender_packets > flow->receiver_packets + flow->lost)
    flow->lost = flow->sender_packets - flow->receiver_packets;
}

static void
tick_stream (WsSampler *self,
             Pending   *p,
             guint      i)
{
  WsStream *stream = self->streams[i];
  const WsStreamCounters *last = &self->last[i];
  WsStreamCounters c;
  WsUdpCounts udp;

  ws_stream_read (stream, &c);
  switch (ws_stream_get_kind (stream))
    {
    case WS_STREAM_TCP_SEND:
    case WS_STREAM_UDP_SEND:
      p->sample.upload.sender_bytes += c.bytes - last->bytes;
      p->sample.upload.sender_packets += c.packets - last->packets;
      p->sample.upload.retransmits += c.retransmits - last->retransmits;
      p->sample.upload.snd_cwnd += c.snd_cwnd;
      if (c.rtt_us)
        {
          p->up_rtt_sum += c.rtt_us;
          p->up_rtt_n++;
        }
      break;
    case WS_STREAM_TCP_RECEIVE:
    case WS_STREAM_UDP_RECEIVE:
      p->sample.download.receiver_bytes += c.bytes - last->bytes;
      if (ws_stream_read_udp (stream, &udp))
        {
          add_udp_counts (&p->sample.download, &udp, &self->last_udp[i]);
          self->last_udp[i] = udp;
        }
      break;
    case WS_STREAM_TCP_RR_CLIENT:
    case WS_STREAM_UDP_RR_CLIENT:
      if (ws_stream_get_role (stream) == WS_ROLE_PROBE)
        {
          p->sample.probe_lost += c.lost - last->lost;
          self->rtt_jitter_ns = ws_stream_take_latency (stream, self->interval_probe);
          break;
        }
      p->sample.transactions += c.packets - last->packets;
      p->sample.rr_lost += c.lost - last->lost;
      self->rtt_jitter_ns = MAX (self->rtt_jitter_ns,
                                 ws_stream_take_latency (stream, self->interval_latency));
      break;
    default:
      g_assert_not_reached ();
    }
  self->last[i] = c;
}

/* Our half of the current interval: what our streams did since the last. */
void
ws_sampler_tick (WsSampler *self,
                 gint64     now_ns)
{
  Pending *p = pending_at (self, self->local_index);

  p->sample.start_s = (self->interval_start_ns - self->start_ns) / 1e9;
  p->sample.end_s = (now_ns - self->start_ns) / 1e9;
  for (guint i = 0; i < self->n_streams; i++)
    tick_stream (self, p, i);

  ws_latency_from_histogram (&p->sample.latency, self->interval_latency);
  ws_histogram_merge (self->total_latency, self->interval_latency);
  ws_histogram_reset (self->interval_latency);
  ws_latency_from_histogram (&p->sample.probe, self->interval_probe);
  ws_histogram_merge (self->total_probe, self->interval_probe);
  ws_histogram_reset (self->interval_probe);
  p->sample.rtt_jitter_ms = self->rtt_jitter_ns / 1e6;

  p->local_done = TRUE;
  self->local_index++;
  self->interval_start_ns = self->last_tick_ns = now_ns;
}

void
ws_sampler_begin_finish (WsSampler *self)
{
  self->finishing = TRUE;
}

/* A server reports an interval every interval_ms until TEST_DONE, which it
 * awaits no longer than the duration and its grace (docs/PROTOCOL.md): a
 * later index is a broken or hostile server's, and pending_at() would
 * allocate every interval up to it, 2^32 of them at worst. */
static gboolean
plausible_index (WsSampler *self,
                 guint32    index)
{
  guint64 span_ms = (guint64) self->request.duration_ms + WS_PROTOCOL_GRACE_S * 1000;

  return index <= span_ms / MAX (self->request.interval_ms, 1) + 1;
}

/* The interval a server report belongs to, and whether it counts towards
 * completing that interval. */
static Pending *
pending_for_report (WsSampler *self,
                    guint32    index,
                    gboolean   final)
{
  guint folded = self->finishing && self->local_index > 0
                 ? MIN (index, self->local_index - 1) : index;
  Pending *p = pending_at (self, folded);

  if (!final && folded == index)
    p->server_reports++;
  return p;
}

void
ws_sampler_add_interval (WsSampler        *self,
                         const WsInterval *iv)
{
  Pending *p;

  if (iv->stream_id >= self->n_streams || !plausible_index (self, iv->index))
    return;
  p = pending_for_report (self, iv->index, iv->flags & WS_INTERVAL_FLAG_FINAL);
  switch (role_of (self, iv->stream_id))
    {
    case WS_ROLE_CLIENT_SENDS:
      p->sample.upload.receiver_bytes += iv->bytes_received;
      p->sample.upload.policed += iv->policed;
      self->server_policed[iv->stream_id] += iv->policed;
      /* The server went on receiving what was queued after our stop. */
      if (iv->flags & WS_INTERVAL_FLAG_FINAL)
        p->sample.end_s = MAX (p->sample.end_s, iv->end_ns / 1e9);
      break;
    case WS_ROLE_SERVER_SENDS:
      p->sample.download.sender_bytes += iv->bytes_sent;
      if (ws_test_mode_is_udp (self->request.mode))
        p->sample.download.sender_packets += iv->packets_received;
      p->sample.download.retransmits += iv->retransmits;
      p->sample.download.snd_cwnd += iv->snd_cwnd;
      if (iv->rtt_us)
        {
          p->down_rtt_sum += iv->rtt_us;
          p->down_rtt_n++;
        }
      break;
    default:
      /* RR: the client's own timing is the measurement. */
      break;
    }
}

void
ws_sampler_add_udp_stats (WsSampler               *self,
                          const WsUdpStatsMessage *u)
{
  static const WsUdpCounts zero;
  WsUdpCounts counts;
  Pending *p;

  if (u->stream_id >= self->n_streams || !server_receives_udp (self, u->stream_id))
    return;
  counts = (WsUdpCounts) {
    .received = u->packets_received, .lost = u->packets_lost,
    .out_of_order = u->out_of_order, .duplicates = u->duplicates,
    .jitter_ns = u->jitter_ns,
  };
  if (u->flags & WS_UDP_STATS_FLAG_TOTAL)
    {
      self->server_udp[u->stream_id] = counts;
      return;
    }
  if (!plausible_index (self, u->index))
    return;
  p = pending_for_report (self, u->index, u->flags & WS_UDP_STATS_FLAG_FINAL);
  add_udp_counts (&p->sample.upload, &counts, &zero);
}

void
ws_sampler_add_result (WsSampler            *self,
                       const WsStreamResult *result)
{
  if (result->stream_id < self->n_streams)
    self->server_results[result->stream_id] = *result;
}

/**
 * ws_sampler_pop_ready:
 *
 * Takes the next sample that has both halves (with @flush: the next one,
 * whatever it has), adds it to the result and copies it to @sample.
 * While finishing, only a flush pops: the server's last reports fold into
 * our last sample one stream at a time.
 */
gboolean
ws_sampler_pop_ready (WsSampler *self,
                      gboolean   flush,
                      WsSample  *sample)
{
  Pending *p;

  if (self->next_emit >= self->pending->len || (self->finishing && !flush))
    return FALSE;
  p = &g_array_index (self->pending, Pending, self->next_emit);
  if (!flush && !(p->local_done && p->server_reports >= self->expected_reports))
    return FALSE;

  p->sample.upload.rtt_us = p->up_rtt_n ? p->up_rtt_sum / p->up_rtt_n : 0;
  p->sample.download.rtt_us = p->down_rtt_n ? p->down_rtt_sum / p->down_rtt_n : 0;
  ws_result_add_sample (self->result, &p->sample);
  *sample = p->sample;
  self->next_emit++;
  return TRUE;
}

/* ---- The summary ---- */

static void
summarise_stream (WsSampler       *self,
                  guint            id,
                  WsStreamSummary *out)
{
  const WsStreamResult *server = &self->server_results[id];
  gboolean udp = ws_test_mode_is_udp (self->request.mode);
  WsStream *stream = self->streams[id];
  WsStreamCounters c;
  WsUdpCounts local;

  ws_stream_read (stream, &c);
  memset (out, 0, sizeof *out);
  out->id = id;
  out->duration_s = self->result->elapsed_s;
  out->flow.measured = TRUE;
  out->flow.udp = udp;
  if (role_of (self, id) == WS_ROLE_CLIENT_SENDS)
    {
      static const WsUdpCounts zero;

      out->direction = WS_DIRECTION_UPLOAD;
      out->flow.receiver_s = server->duration_ns / 1e9;
      out->flow.sender_bytes = c.bytes;
      out->flow.sender_packets = udp ? c.packets : 0;
      out->flow.receiver_bytes = server->bytes_received;
      out->flow.retransmits = c.retransmits - self->first_retransmits[id];
      out->flow.snd_cwnd = c.snd_cwnd;
      out->flow.rtt_us = c.rtt_us;
      if (udp)
        add_udp_counts (&out->flow, &self->server_udp[id], &zero);
      out->flow.policed = self->server_policed[id];
    }
  else
    {
      static const WsUdpCounts zero;

      out->direction = WS_DIRECTION_DOWNLOAD;
      out->flow.receiver_s = (self->last_tick_ns - self->start_ns) / 1e9;
      out->flow.sender_bytes = server->bytes_sent;
      out->flow.sender_packets = udp ? server->packets_received : 0;
      out->flow.receiver_bytes = c.bytes;
      out->flow.retransmits = server->retransmits;
      if (ws_stream_read_udp (stream, &local))
        add_udp_counts (&out->flow, &local, &zero);
    }
  if (udp)
    count_trailing_loss (&out->flow);
}

/* Mean of the intervals' RTTs: the summary's smoothed RTT. */
static guint32
mean_rtt (GArray   *samples,
          gboolean  upload)
{
  guint64 sum = 0;
  guint n = 0;

  for (guint i = 0; i < samples->len; i++)
    {
      const WsSample *s = &g_array_index (samples, WsSample, i);
      guint32 rtt = upload ? s->upload.rtt_us : s->download.rtt_us;

      if (rtt)
        {
          sum += rtt;
          n++;
        }
    }
  return n ? sum / n : 0;
}

static void
summarise_rr (WsSampler *self)
{
  WsResult *r = self->result;

  for (guint id = 0; id < self->n_streams; id++)
    {
      WsStreamCounters c;

      if (role_of (self, id) != WS_ROLE_RR)
        continue;
      ws_stream_read (self->streams[id], &c);
      r->transactions += c.packets;
      r->rr_lost += c.lost;
      r->rr_late += c.late;
    }
  r->requests_sent = r->transactions + r->rr_lost;
  ws_latency_from_histogram (&r->latency, self->total_latency);
  r->rtt_jitter_ms = self->rtt_jitter_ns / 1e6;
}

static void
summarise_probe (WsSampler *self)
{
  WsResult *r = self->result;

  for (guint id = 0; id < self->n_streams; id++)
    {
      WsStreamCounters c;

      if (role_of (self, id) != WS_ROLE_PROBE)
        continue;
      ws_stream_read (self->streams[id], &c);
      r->probe_sent += c.packets + c.lost;
      r->probe_lost += c.lost;
    }
  ws_latency_from_histogram (&r->loaded_latency, self->total_probe);
  if (r->loaded_latency.count)
    {
      r->loaded_histogram = ws_histogram_new ();
      ws_histogram_merge (r->loaded_histogram, self->total_probe);
    }
  r->rtt_jitter_ms = self->rtt_jitter_ns / 1e6;
}

/* Judged by the numbers, whatever ended the test: TCP delivers every byte
 * or none, so its receiver's count is the truth; UDP may lose datagrams,
 * so only its sender's count can be exact. Senders that write whole
 * blocks (iperf3's) may carry a little more than asked for, never less. */
static gboolean
flow_complete (const WsFlowStats *flow,
               guint64            bytes,
               gboolean           whole_blocks)
{
  guint64 counted;

  if (!flow->measured)
    return TRUE;
  counted = flow->udp ? flow->sender_bytes : flow->receiver_bytes;
  return whole_blocks ? counted >= bytes : counted == bytes;
}

static void
judge_bytes (WsResult *r,
             gboolean  whole_blocks)
{
  if (r->bytes != 0)
    r->bytes_complete = flow_complete (&r->upload, r->bytes, whole_blocks)
                        && flow_complete (&r->download, r->bytes, whole_blocks);
}

static void
summarise_flows (WsSampler *self)
{
  WsResult *r = self->result;

  for (guint id = 0; id < self->n_streams; id++)
    {
      WsStreamSummary st;

      if (role_of (self, id) == WS_ROLE_PROBE)
        continue;
      summarise_stream (self, id, &st);
      ws_sampler_add_summary (r, &st);
    }
  summarise_probe (self);
  r->upload.rtt_us = mean_rtt (r->samples, TRUE);
  r->download.rtt_us = mean_rtt (r->samples, FALSE);
  if (r->samples->len > 0)
    {
      const WsSample *last = &g_array_index (r->samples, WsSample, r->samples->len - 1);
      r->upload.snd_cwnd = last->upload.snd_cwnd;
      r->download.snd_cwnd = last->download.snd_cwnd;
    }
}

void
ws_sampler_summarise (WsSampler *self,
                      gint64     stop_ns,
                      gboolean   interrupted)
{
  WsResult *r = self->result;

  r->interrupted = interrupted;
  r->elapsed_s = r->upload_s = r->download_s = (stop_ns - self->start_ns) / 1e9;
  if (ws_test_mode_is_rr (self->request.mode))
    summarise_rr (self);
  else
    summarise_flows (self);
  judge_bytes (r, FALSE);
}

/* ---- Figures measured elsewhere ---- */

void
ws_sampler_add_sample (WsResult       *result,
                       const WsSample *sample)
{
  ws_result_add_sample (result, sample);
}

/* One stream's summary, and its flow into its direction's. */
void
ws_sampler_add_summary (WsResult              *result,
                        const WsStreamSummary *summary)
{
  g_array_append_val (result->stream_summaries, *summary);
  ws_flow_stats_add (summary->direction == WS_DIRECTION_UPLOAD ? &result->upload : &result->download,
                     &summary->flow);
}

/* Idle latency from @idle, loaded latency from @loaded (transfer full),
 * which is kept, so that the speed test's two phases merge into one figure. */
void
ws_sampler_set_latency (WsResult          *result,
                        const WsHistogram *idle,
                        WsHistogram       *loaded)
{
  ws_latency_from_histogram (&result->idle_latency, idle);
  ws_latency_from_histogram (&result->loaded_latency, loaded);
  g_clear_pointer (&result->loaded_histogram, ws_histogram_free);
  result->loaded_histogram = loaded;
}

/* Mean over a direction's streams: summing flows leaves the RTT out. */
static guint32
mean_stream_rtt (const WsResult *r,
                 WsDirection     direction)
{
  guint64 total = 0;
  guint n = 0;

  for (guint i = 0; i < r->stream_summaries->len; i++)
    {
      const WsStreamSummary *ss = &g_array_index (r->stream_summaries, WsStreamSummary, i);

      if (ss->direction == direction && ss->flow.rtt_us > 0)
        {
          total += ss->flow.rtt_us;
          n++;
        }
    }
  return n > 0 ? total / n : 0;
}

/**
 * ws_sampler_close:
 * @seconds: how long the test ran
 * @whole_blocks: the senders write whole blocks, so a fixed-size test may
 *   carry a little more than its size
 *
 * The summary's last figures, once every stream's summary is in.
 */
void
ws_sampler_close (WsResult *result,
                  gdouble   seconds,
                  gboolean  interrupted,
                  gboolean  whole_blocks)
{
  result->upload.rtt_us = mean_stream_rtt (result, WS_DIRECTION_UPLOAD);
  result->download.rtt_us = mean_stream_rtt (result, WS_DIRECTION_DOWNLOAD);
  result->elapsed_s = seconds;
  result->upload_s = result->download_s = seconds;
  result->interrupted = interrupted;
  judge_bytes (result, whole_blocks);
}

static const WsIperf3StreamResult *
find_result (const WsIperf3Results *theirs,
             guint                  id)
{
  for (guint i = 0; i < theirs->streams->len; i++)
    if (g_array_index (theirs->streams, WsIperf3StreamResult, i).id == id)
      return &g_array_index (theirs->streams, WsIperf3StreamResult, i);
  return NULL;
}

/* One iperf3 stream's summary: the receiver's bytes are the truth, ours
 * or the server's as the stream's direction says. */
static void
summarise_iperf3_stream (WsIperf3Stream             *s,
                  const WsIperf3StreamResult *t,
                  gdouble                     seconds,
                  WsStreamSummary            *ss)
{
  WsFlowStats *f = &ss->flow;
  guint32 rtt = 0;

  memset (ss, 0, sizeof *ss);
  ss->id = s->id;
  ss->direction = s->sender ? WS_DIRECTION_UPLOAD : WS_DIRECTION_DOWNLOAD;
  ss->duration_s = seconds;
  f->measured = TRUE;
  f->udp = s->udp;
  if (s->sender)
    {
      f->sender_bytes = s->bytes;
      f->receiver_bytes = t ? t->bytes : 0;
      if (!s->udp)
        f->retransmits = ws_iperf3_stream_tcp_info (s, &rtt);
      f->rtt_us = rtt;
      if (s->udp)
        {
          f->sender_packets = s->packets;
          f->receiver_packets = t ? t->packets - MIN (t->errors, t->packets) : 0;
          f->lost = t ? t->errors : 0;
          f->jitter_ms = t ? t->jitter_s * 1e3 : 0;
        }
      return;
    }
  f->receiver_bytes = s->bytes;
  f->sender_bytes = t ? t->bytes : 0;
  f->retransmits = t && t->retransmits > 0 ? t->retransmits : 0;
  if (s->udp)
    {
      f->sender_packets = t ? t->packets : s->rx.packet_count;
      f->receiver_packets = s->rx.packet_count - MIN (s->rx.errors, s->rx.packet_count);
      f->lost = s->rx.errors;
      f->out_of_order = s->rx.out_of_order;
      f->jitter_ms = s->rx.jitter_s * 1e3;
    }
}

void
ws_sampler_add_iperf3_stream (WsResult              *result,
                              WsIperf3Stream        *stream,
                              const WsIperf3Results *theirs,
                              gdouble                seconds)
{
  WsStreamSummary ss;

  summarise_iperf3_stream (stream, find_result (theirs, stream->id), seconds, &ss);
  ws_sampler_add_summary (result, &ss);
}

/* ---- Phases into one result ---- */

/* The idle phase's latency; a test stopped then is stopped as a whole. */
void
ws_sampler_merge_idle (WsResult        *into,
                       const WsLatency *idle_latency,
                       gboolean         interrupted)
{
  into->idle_latency = *idle_latency;
  into->interrupted |= interrupted;
}

/* @phase's samples after @into's, on one clock, and its figures added. */
void
ws_sampler_merge_phase (WsResult       *into,
                        const WsResult *phase)
{
  for (guint i = 0; i < phase->samples->len; i++)
    {
      WsSample s = g_array_index (phase->samples, WsSample, i);

      s.index = into->samples->len;
      s.start_s += into->elapsed_s;
      s.end_s += into->elapsed_s;
      ws_result_add_sample (into, &s);
    }
  g_array_append_vals (into->stream_summaries, phase->stream_summaries->data,
                       phase->stream_summaries->len);
  into->elapsed_s += phase->elapsed_s;
  into->interrupted |= phase->interrupted;
  into->probe_sent += phase->probe_sent;
  into->probe_lost += phase->probe_lost;
  into->rtt_jitter_ms = MAX (into->rtt_jitter_ms, phase->rtt_jitter_ms);
  ws_result_merge_loaded_latency (into, phase);
}

/* One direction of a speed test: its flow, time and loaded latency. */
void
ws_sampler_merge_speed_phase (WsResult       *into,
                              const WsResult *phase,
                              WsDirection     direction)
{
  if (direction == WS_DIRECTION_DOWNLOAD)
    {
      into->download = phase->download;
      into->download_s = phase->elapsed_s;
      into->loaded_latency_download = phase->loaded_latency;
    }
  else
    {
      into->upload = phase->upload;
      into->upload_s = phase->elapsed_s;
      into->loaded_latency_upload = phase->loaded_latency;
    }
  ws_sampler_merge_phase (into, phase);
}
