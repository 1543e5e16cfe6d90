/* ws-http-load.c — an HTTP test's load and its latency probe
 *
 * One thread per stream, each with its own agent and so its own
 * connection, repeats its request (GET of the URL, or POST of generated
 * data) until the time is up or its share of --bytes is in; with Range
 * support, a download asks for just what is left of its share. Bytes are
 * counted as they are read (or handed to libsoup to send), so the clock,
 * in the calling thread, samples them live.
 *
 * Latency comes from HEAD requests on a connection of their own (the
 * probe thread): a few before the load starts (idle), then one every
 * 15 ms during it (loaded), each timed from sending to the end of the
 * response. On a keep-alive connection that is not part of the load, this
 * is what networkQuality calls a foreign probe minus its TCP and TLS
 * handshakes; a server that closes after each response (HTTP/1.0, as
 * python's http.server) adds them back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-http-load.h"
#include "ws-http-request.h"
#include "ws-http-upload-stream.h"
#include "ws-sampler.h"

/* Reads this large take what the socket has in one call. */
#define READ_SIZE (1024 * 1024)
/* A timed upload's requests: long enough that their overhead vanishes,
 * short enough that few bytes ride on the one cut at the end. */
#define UPLOAD_REQUEST_BYTES (64 * 1024 * 1024)
/* Idle latency: this many probes before the load begins, or as many as
 * answer in IDLE_PROBE_NS from a slow server. */
#define IDLE_PROBES 20
#define IDLE_PROBE_NS (2 * WS_NSEC_PER_SEC)

typedef struct _Load Load;

typedef struct {
  Load *load;
  guint id;
  GThread *thread;
  _Atomic guint64 bytes;    /* body bytes, written by the stream's thread */
  _Atomic guint64 ignored;  /* an upload's response bodies */
  guint64 sampled;          /* bytes at the last sample (the clock's) */
  guint64 quota;            /* its share of --bytes; 0: timed */
  guint64 requests;         /* answered, whole or cut by the end; read after the join */
} Stream;

struct _Load {
  const WsHttpLoadSetup *setup;
  GCancellable *halt;       /* every thread's: the test is over */
  gint64 start_ns;
  gint64 sampled_ns;        /* the end of the last sample */

  GMutex lock;
  GCond cond;               /* a stream ended, the idle phase is done */
  guint running;
  GError *error;            /* the first failure of a stream */
  WsHttpSummary *first;     /* stream 0's first request */
  Stream *streams;
  guint n_streams;

  GThread *prober;
  gboolean idle_done;
  WsHistogram *idle;
  WsHistogram *loaded;
  WsHistogram *interval;
  guint64 probe_sent;
  guint64 probe_lost;
  gdouble jitter_ms;
  gdouble last_rtt_ms;
};

static void
wake (Load *l)
{
  g_mutex_lock (&l->lock);
  g_cond_broadcast (&l->cond);
  g_mutex_unlock (&l->lock);
}

/* Stream 0's first request stands for all: its phases are the summary's. */
static void
request_done (Stream      *s,
              SoupMessage *msg,
              guint64      body_bytes,
              gboolean     complete)
{
  /* A timed test ends inside its last request: counting only whole ones
   * said "0 requests" for a test that was one long download. */
  s->requests++;
  if (s->id != 0 || s->load->first != NULL)
    return;
  s->load->first = ws_http_summary_new ();
  ws_http_summary_fill (s->load->first, msg, g_get_monotonic_time (), body_bytes);
}

static gboolean
download_once (Stream       *s,
               WsHttpAgent  *agent,
               guint8       *buffer,
               GError      **error)
{
  Load *l = s->load;
  guint64 left = s->quota ? s->quota - atomic_load (&s->bytes) : 0;
  g_autoptr(SoupMessage) msg = ws_http_agent_message (agent, "GET", l->setup->uri);
  g_autoptr(GInputStream) body = NULL;
  guint64 got = 0;
  gboolean ok;

  if (left != 0 && l->setup->ranges)
    soup_message_headers_set_range (soup_message_get_request_headers (msg), 0, left - 1);
  body = ws_http_agent_send (agent, msg, l->halt, error);
  if (body == NULL || !ws_http_check_status (msg, error))
    return FALSE;
  ok = ws_http_read_body (body, msg, buffer, READ_SIZE, left, &s->bytes, l->halt, &got, error);
  request_done (s, msg, got, ok);
  return ok;
}

static gboolean
upload_once (Stream       *s,
             WsHttpAgent  *agent,
             guint8       *buffer,
             GError      **error)
{
  Load *l = s->load;
  guint64 size = s->quota ? MIN (s->quota - atomic_load (&s->bytes), UPLOAD_REQUEST_BYTES)
                          : UPLOAD_REQUEST_BYTES;
  g_autoptr(SoupMessage) msg = ws_http_agent_message (agent, "POST", l->setup->uri);
  g_autoptr(GInputStream) data = ws_http_upload_stream_new (size, &s->bytes);
  g_autoptr(GInputStream) body = NULL;
  guint64 got = 0;
  gboolean ok;

  soup_message_set_request_body (msg, "application/octet-stream", data, size);
  body = ws_http_agent_send (agent, msg, l->halt, error);
  if (body == NULL || !ws_http_check_status (msg, error))
    return FALSE;
  ok = ws_http_read_body (body, msg, buffer, READ_SIZE, 0, &s->ignored, l->halt, &got, error);
  request_done (s, msg, size, ok);
  return ok;
}

/* Its first failure ends the test; failures after the end are not. */
static void
stream_finish (Stream *s,
               GError *error)
{
  Load *l = s->load;

  g_mutex_lock (&l->lock);
  if (error != NULL && l->error == NULL && !g_cancellable_is_cancelled (l->halt))
    {
      l->error = g_error_copy (error);
      g_cancellable_cancel (l->halt);
    }
  l->running--;
  g_cond_broadcast (&l->cond);
  g_mutex_unlock (&l->lock);
}

static gpointer
stream_main (gpointer data)
{
  Stream *s = data;
  Load *l = s->load;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *buffer = g_malloc (READ_SIZE);
  WsHttpAgent *agent = ws_http_agent_new (l->setup->config, &error);

  while (agent != NULL && !g_cancellable_is_cancelled (l->halt)
         && (s->quota == 0 || atomic_load (&s->bytes) < s->quota))
    if (!(l->setup->upload ? upload_once : download_once) (s, agent, buffer, &error))
      break;
  g_clear_pointer (&agent, ws_http_agent_free);
  stream_finish (s, error);
  return NULL;
}

/* ---- The probe ---- */

/* One HEAD's round trip in ns; -1: it failed. */
static gint64
probe_once (Load        *l,
            WsHttpAgent *agent)
{
  g_autoptr(SoupMessage) msg = ws_http_agent_message (agent, "HEAD", l->setup->probe_uri);
  g_autoptr(GInputStream) body = NULL;
  gint64 t0 = ws_now_ns ();

  body = ws_http_agent_send (agent, msg, l->halt, NULL);
  if (body == NULL || !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg))
      || !g_input_stream_close (body, l->halt, NULL))
    return -1;
  return ws_now_ns () - t0;
}

static void
probe_record (Load   *l,
              gint64  rtt_ns)
{
  g_mutex_lock (&l->lock);
  l->probe_sent++;
  if (rtt_ns < 0)
    l->probe_lost++;
  else if (!l->idle_done)
    ws_histogram_record (l->idle, rtt_ns);
  else
    {
      gdouble ms = rtt_ns / 1e6;

      ws_histogram_record (l->loaded, rtt_ns);
      ws_histogram_record (l->interval, rtt_ns);
      /* RFC 3550's smoothing, over the RTTs of successive probes. */
      if (l->last_rtt_ms > 0)
        l->jitter_ms += (fabs (ms - l->last_rtt_ms) - l->jitter_ms) / 16;
      l->last_rtt_ms = ms;
    }
  g_mutex_unlock (&l->lock);
}

static void
probe_idle_done (Load *l)
{
  g_mutex_lock (&l->lock);
  l->idle_done = TRUE;
  g_cond_broadcast (&l->cond);
  g_mutex_unlock (&l->lock);
}

/* Waits out the probe's pace; the end of the test cuts it short. */
static void
probe_pace (Load   *l,
            gint64  from_ns)
{
  gint64 until_us = (from_ns + WS_PROBE_INTERVAL_NS) / 1000;

  g_mutex_lock (&l->lock);
  while (!g_cancellable_is_cancelled (l->halt) && g_get_monotonic_time () < until_us)
    g_cond_wait_until (&l->cond, &l->lock, until_us);
  g_mutex_unlock (&l->lock);
}

static gpointer
probe_main (gpointer data)
{
  Load *l = data;
  WsHttpAgent *agent = ws_http_agent_new (l->setup->config, NULL);
  gint64 idle_end = ws_now_ns () + IDLE_PROBE_NS;
  gboolean idle = TRUE;
  guint n = 0;

  /* The first opens the connection, which is not what is measured. */
  if (agent != NULL && probe_once (l, agent) >= 0)
    while (!g_cancellable_is_cancelled (l->halt))
      {
        gint64 t0 = ws_now_ns ();
        gint64 rtt = probe_once (l, agent);

        if (g_cancellable_is_cancelled (l->halt))
          break;
        probe_record (l, rtt);
        if (idle && (++n == IDLE_PROBES || ws_now_ns () >= idle_end))
          {
            idle = FALSE;
            probe_idle_done (l);
          }
        probe_pace (l, t0);
      }
  g_clear_pointer (&agent, ws_http_agent_free);
  probe_idle_done (l);
  return NULL;
}

/* ---- The clock ---- */

static void
take_sample (Load     *l,
             WsResult *r,
             gint64    from_ns,
             gint64    to_ns)
{
  WsSample s = { 0 };
  WsFlowStats *f = l->setup->upload ? &s.upload : &s.download;

  s.index = r->samples->len;
  s.start_s = (from_ns - l->start_ns) / 1e9;
  s.end_s = (to_ns - l->start_ns) / 1e9;
  f->measured = TRUE;
  for (guint i = 0; i < l->n_streams; i++)
    {
      guint64 now = atomic_load (&l->streams[i].bytes);

      f->receiver_bytes += now - l->streams[i].sampled;
      l->streams[i].sampled = now;
    }
  f->sender_bytes = f->receiver_bytes;
  g_mutex_lock (&l->lock);
  ws_latency_from_histogram (&s.probe, l->interval);
  ws_histogram_reset (l->interval);
  g_mutex_unlock (&l->lock);
  l->sampled_ns = to_ns;
  ws_sampler_add_sample (r, &s);
  if (l->setup->on_sample != NULL)
    l->setup->on_sample (&s, l->setup->user_data);
}

/* Until the time is up, every stream is done, one failed or the person
 * stops the test; returns when it ended. */
static gint64
run_clock (Load     *l,
           WsResult *r)
{
  gint64 interval_ns = (gint64) l->setup->config->interval_ms * 1000000;
  gint64 end_ns = l->start_ns + (gint64) l->setup->config->duration_s * WS_NSEC_PER_SEC;
  gint64 next = l->start_ns + interval_ns;

  for (;;)
    {
      gint64 wake_ns = MIN (next, end_ns), now;
      gboolean done;

      g_mutex_lock (&l->lock);
      while (l->running > 0 && !g_cancellable_is_cancelled (l->halt) && ws_now_ns () < wake_ns)
        g_cond_wait_until (&l->cond, &l->lock, wake_ns / 1000);
      done = l->running == 0 || g_cancellable_is_cancelled (l->halt);
      g_mutex_unlock (&l->lock);
      now = ws_now_ns ();
      if (done || now >= end_ns)
        return MIN (now, end_ns);
      if (now >= next)
        {
          take_sample (l, r, l->sampled_ns, now);
          next += interval_ns;
        }
    }
}

static void
on_stop (GCancellable *stop,
         gpointer      halt)
{
  g_cancellable_cancel (halt);
}

/* Before the load: the probe's idle phase, unless the person stops it. */
static void
wait_idle (Load *l)
{
  g_mutex_lock (&l->lock);
  while (!l->idle_done && !g_cancellable_is_cancelled (l->halt))
    g_cond_wait_until (&l->cond, &l->lock, g_get_monotonic_time () + 100000);
  g_mutex_unlock (&l->lock);
}

static void
start_streams (Load *l)
{
  guint64 bytes = l->setup->config->bytes;

  l->n_streams = MAX (l->setup->config->streams, 1);
  l->streams = g_new0 (Stream, l->n_streams);
  l->running = l->n_streams;
  l->start_ns = l->sampled_ns = ws_now_ns ();
  for (guint i = 0; i < l->n_streams; i++)
    {
      Stream *s = &l->streams[i];

      s->load = l;
      s->id = i;
      /* The remainder of an uneven split goes to the first streams. */
      s->quota = bytes / l->n_streams + (i < bytes % l->n_streams);
      s->thread = g_thread_new ("ws-http-stream", stream_main, s);
    }
}

static void
summarise (Load     *l,
           WsResult *r,
           gint64    end_ns)
{
  gdouble seconds = (end_ns - l->start_ns) / 1e9;
  WsHttpSummary *h = l->first != NULL ? g_steal_pointer (&l->first) : ws_http_summary_new ();

  for (guint i = 0; i < l->n_streams; i++)
    {
      WsStreamSummary ss = { 0 };

      ss.id = i + 1;
      ss.direction = l->setup->upload ? WS_DIRECTION_UPLOAD : WS_DIRECTION_DOWNLOAD;
      ss.duration_s = seconds;
      ss.flow.measured = TRUE;
      ss.flow.receiver_bytes = ss.flow.sender_bytes = atomic_load (&l->streams[i].bytes);
      ws_sampler_add_summary (r, &ss);
      h->requests += l->streams[i].requests;
    }
  if (h->url == NULL)
    h->url = g_uri_to_string (l->setup->uri);
  r->http = h;
  ws_sampler_set_latency (r, l->idle, g_steal_pointer (&l->loaded));
  r->probe_sent = l->probe_sent;
  r->probe_lost = l->probe_lost;
  r->rtt_jitter_ms = l->jitter_ms;
  ws_sampler_close (r, seconds, g_cancellable_is_cancelled (l->setup->stop), FALSE);
}

/**
 * ws_http_load_run:
 *
 * Runs the load @setup describes, with its latency probe, into @result:
 * samples (given to the setup's callback as they come), stream totals,
 * latency and the HTTP summary.
 */
gboolean
ws_http_load_run (const WsHttpLoadSetup  *setup,
                  WsResult               *r,
                  GError                **error)
{
  Load l = { setup };
  gulong handler;
  gint64 end_ns;
  gboolean ok;

  g_mutex_init (&l.lock);
  g_cond_init (&l.cond);
  l.halt = g_cancellable_new ();
  l.idle = ws_histogram_new ();
  l.loaded = ws_histogram_new ();
  l.interval = ws_histogram_new ();
  l.idle_done = !setup->probe;
  handler = g_cancellable_connect (setup->stop, G_CALLBACK (on_stop), l.halt, NULL);
  if (setup->probe)
    l.prober = g_thread_new ("ws-http-probe", probe_main, &l);
  wait_idle (&l);
  start_streams (&l);
  end_ns = run_clock (&l, r);
  g_cancellable_cancel (l.halt);
  wake (&l);
  for (guint i = 0; i < l.n_streams; i++)
    g_thread_join (l.streams[i].thread);
  if (l.prober != NULL)
    g_thread_join (l.prober);
  g_cancellable_disconnect (setup->stop, handler);
  ok = l.error == NULL;
  if (ok)
    {
      /* What came in since the last sample, stragglers after the end too. */
      if (end_ns > l.sampled_ns || r->samples->len == 0)
        take_sample (&l, r, l.sampled_ns, MAX (end_ns, l.sampled_ns));
      summarise (&l, r, end_ns);
    }
  else
    g_propagate_error (error, g_steal_pointer (&l.error));
  g_clear_pointer (&l.first, ws_http_summary_free);
  g_clear_pointer (&l.loaded, ws_histogram_free);
  ws_histogram_free (l.idle);
  ws_histogram_free (l.interval);
  g_free (l.streams);
  g_object_unref (l.halt);
  g_cond_clear (&l.cond);
  g_mutex_clear (&l.lock);
  return ok;
}
