/* ws-client.c — runs one test against a Wirespeed server
 *
 * The test runs in a GTask worker thread that owns the control connection
 * and the test clock; each data stream has a thread of its own (ws-stream.c).
 * Every interval the worker combines its own view of the streams with the
 * server's INTERVAL reports into a WsSample and hands it to the caller's main
 * context through one coalesced idle callback.
 *
 * Cancelling the GCancellable before the test starts fails the run with
 * G_IO_ERROR_CANCELLED; cancelling during the test stops it early and the
 * result, marked interrupted, holds everything measured until then.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ws-client.h"
#include "ws-io.h"
#include "ws-stream.h"
#include "ws-time.h"

#define HANDSHAKE_TIMEOUT_NS (10 * WS_NSEC_PER_SEC)
#define KEEPALIVE_NS (5 * WS_NSEC_PER_SEC)
#define FINISH_TIMEOUT_NS (15 * WS_NSEC_PER_SEC)
#define CONNECT_TIMEOUT_S 10

struct _WsClient {
  GObject parent_instance;

  GMainContext *context;
  GMutex lock;
  GQueue pending_samples; /* WsSample*, worker → main context */
  guint idle_id;
};

G_DEFINE_FINAL_TYPE (WsClient, ws_client, G_TYPE_OBJECT)

enum {
  SIGNAL_SAMPLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A sample being assembled from our view and the server's reports. */
typedef struct {
  WsSample sample;
  gboolean local_done;
  guint server_reports;
  guint64 up_rtt_sum, down_rtt_sum;
  guint up_rtt_n, down_rtt_n;
} Pending;

/* Everything about one test run; lives in the worker thread only. */
typedef struct {
  WsClient *client;
  WsTestConfig config;
  GCancellable *stop;

  GSocketConnection *connection;
  GSocket *control;
  GSocketAddress *remote;
  WsTestAccept accept;

  WsStream **streams;
  guint n_streams;
  WsStreamCounters *last;
  guint32 *first_retransmits;
  WsStreamResult *server_results;

  GArray *pending; /* Pending, by interval index */
  guint next_emit;
  guint local_index;
  gint64 start_ns;
  gint64 interval_start_ns;
  gint64 stop_ns;
  gboolean finishing;

  WsResult *result;
} Run;

void
ws_test_config_init (WsTestConfig *config)
{
  memset (config, 0, sizeof *config);
  config->target = g_strdup ("localhost");
  config->port = 5201;
  config->mode = WS_TEST_TCP_STREAM;
  config->direction = WS_DIRECTION_UPLOAD;
  config->streams = 1;
  config->duration_s = WS_DEFAULT_DURATION_S;
  config->interval_ms = WS_DEFAULT_INTERVAL_MS;
  config->length = WS_DEFAULT_LENGTH;
}

void
ws_test_config_clear (WsTestConfig *config)
{
  g_clear_pointer (&config->target, g_free);
}

void
ws_test_config_copy (WsTestConfig       *dest,
                     const WsTestConfig *src)
{
  *dest = *src;
  dest->target = g_strdup (src->target);
}

static void
run_free (Run *run)
{
  for (guint i = 0; i < run->n_streams; i++)
    g_clear_pointer (&run->streams[i], ws_stream_free);
  g_free (run->streams);
  g_free (run->last);
  g_free (run->first_retransmits);
  g_free (run->server_results);
  g_clear_pointer (&run->pending, g_array_unref);
  g_clear_pointer (&run->result, ws_result_unref);
  g_clear_object (&run->remote);
  if (run->connection)
    g_io_stream_close (G_IO_STREAM (run->connection), NULL, NULL);
  g_clear_object (&run->connection);
  g_clear_object (&run->stop);
  ws_test_config_clear (&run->config);
  g_object_unref (run->client);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* ---- Delivering samples to the caller's main context ---- */

static gboolean
deliver_samples (gpointer data)
{
  WsClient *self = data;
  GQueue samples = G_QUEUE_INIT;
  WsSample *sample;

  g_mutex_lock (&self->lock);
  samples = self->pending_samples;
  g_queue_init (&self->pending_samples);
  self->idle_id = 0;
  g_mutex_unlock (&self->lock);

  while ((sample = g_queue_pop_head (&samples)))
    {
      g_signal_emit (self, signals[SIGNAL_SAMPLE], 0, sample);
      g_free (sample);
    }
  return G_SOURCE_REMOVE;
}

static void
post_sample (WsClient       *self,
             const WsSample *sample)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->pending_samples, g_memdup2 (sample, sizeof *sample));
  if (self->idle_id == 0)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, deliver_samples, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[wirespeed] deliver samples");
      self->idle_id = g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

/* ---- Errors a person can act on ---- */

static void
explain_connect_error (Run     *run,
                       GError **error)
{
  GError *e = *error;
  const char *host = run->config.target;
  guint port = run->config.port;
  char *text = NULL;

  if (e->domain == G_RESOLVER_ERROR)
    text = g_strdup_printf ("Host not found: %s", host);
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    text = g_strdup_printf ("Connection refused by %s port %u: is “wirespeed --server” running there?",
                            host, port);
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    text = g_strdup_printf ("Timed out connecting to %s port %u", host, port);
  else if (!g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    text = g_strdup_printf ("Cannot connect to %s port %u: %s", host, port, e->message);

  if (text != NULL)
    {
      g_free (e->message);
      e->message = text;
    }
}

/* The server's ERROR message, said as a client would want to read it. */
static void
explain_server_error (GError          **error,
                      const WsMessage  *msg)
{
  const WsErrorMessage *e = &msg->u.error;

  switch (e->code)
    {
    case WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION:
      if (e->value < WS_PROTOCOL_V2)
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     "The server is too old: it speaks protocol version %u, this client needs %u",
                     e->value, WS_PROTOCOL_V2);
      else
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     "The server refused protocol version %u (it speaks up to %u): %s",
                     WS_PROTOCOL_V2, e->value, e->text);
      return;
    case WS_PROTOCOL_ERROR_BUSY:
      g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                   "The server is busy (all %u test slots in use): try again later",
                   e->value);
      return;
    default:
      g_set_error (error, WS_PROTOCOL_ERROR, e->code, "The server refused the test: %s",
                   e->text[0] ? e->text : "no reason given");
      return;
    }
}

/* Reads the message the handshake expects, or explains what came instead. */
static gboolean
expect (Run        *run,
        guint8      type,
        WsMessage  *msg,
        GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ws_io_read_message (run->control, msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS,
                           run->stop, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                     "The server closed the connection during the handshake: "
                     "is it a Wirespeed server (0.1 or later)?");
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                     "Timed out: the server did not answer within %d s",
                     (int) (HANDSHAKE_TIMEOUT_NS / WS_NSEC_PER_SEC));
      else if (local_error->domain == WS_PROTOCOL_ERROR)
        g_set_error (error, WS_PROTOCOL_ERROR, local_error->code,
                     "The server does not speak the Wirespeed protocol: %s",
                     local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_ERROR)
    {
      explain_server_error (error, msg);
      return FALSE;
    }
  if (msg->version != WS_PROTOCOL_V2 || msg->type != type)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   "The server sent %s where %s was expected",
                   ws_message_type_to_string (msg->version, msg->type),
                   ws_message_type_to_string (WS_PROTOCOL_V2, type));
      return FALSE;
    }
  return TRUE;
}

static gboolean
send_msg (Run              *run,
          const WsMessage  *msg,
          GError          **error)
{
  return ws_io_send_message (run->control, msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS,
                             NULL, error);
}

/* ---- Setting up ---- */

static gboolean
connect_control (Run     *run,
                 GError **error)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();

  g_socket_client_set_timeout (sc, CONNECT_TIMEOUT_S);
  run->connection = g_socket_client_connect_to_host (sc, run->config.target, run->config.port,
                                                     run->stop, error);
  if (run->connection == NULL)
    {
      explain_connect_error (run, error);
      return FALSE;
    }
  run->control = g_socket_connection_get_socket (run->connection);
  g_socket_set_blocking (run->control, FALSE);
  g_socket_set_option (run->control, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  /* Data connections go to the very address the control connection
   * reached, not to whatever the name resolves to next. */
  run->remote = g_socket_get_remote_address (run->control, error);
  return run->remote != NULL;
}

static gboolean
handshake (Run     *run,
           GError **error)
{
  WsTestRequest *q;
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  if (!send_msg (run, &msg, error) || !expect (run, WS_MSG_HELLO_REPLY, &msg, error))
    return FALSE;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  q = &msg.u.request;
  q->mode = run->config.mode;
  q->direction = run->config.direction;
  q->streams = run->config.streams;
  q->duration_ms = run->config.duration_s * 1000;
  q->interval_ms = run->config.interval_ms;
  q->length = run->config.length;
  q->rr_request_size = 1;
  q->rr_response_size = 1;
  if (!ws_test_request_validate (q, error))
    return FALSE;
  if (!send_msg (run, &msg, error) || !expect (run, WS_MSG_TEST_ACCEPT, &msg, error))
    return FALSE;
  run->accept = msg.u.accept;
  return TRUE;
}

static WsStreamRole
role_of (Run   *run,
         guint  id)
{
  switch (run->config.direction)
    {
    case WS_DIRECTION_UPLOAD:
      return WS_ROLE_CLIENT_SENDS;
    case WS_DIRECTION_DOWNLOAD:
      return WS_ROLE_SERVER_SENDS;
    default:
      return id < run->config.streams ? WS_ROLE_CLIENT_SENDS : WS_ROLE_SERVER_SENDS;
    }
}

static GSocket *
open_data_connection (Run      *run,
                      guint     id,
                      GError  **error)
{
  g_autoptr(GSocket) socket = NULL;
  WsMessage msg;

  socket = g_socket_new (g_socket_address_get_family (run->remote), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_timeout (socket, CONNECT_TIMEOUT_S);
  if (!g_socket_connect (socket, run->remote, run->stop, error))
    {
      g_prefix_error (error, "Data connection %u: ", id);
      return NULL;
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_STREAM_HELLO);
  memcpy (msg.u.stream_hello.cookie, run->accept.cookie, WS_COOKIE_SIZE);
  msg.u.stream_hello.stream_id = id;
  msg.u.stream_hello.role = role_of (run, id);
  if (!ws_io_send_message (socket, &msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS, run->stop, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static gboolean
open_streams (Run     *run,
              GError **error)
{
  run->n_streams = run->accept.streams;
  if (run->config.direction == WS_DIRECTION_BIDIR)
    run->n_streams *= 2;
  run->streams = g_new0 (WsStream *, run->n_streams);
  run->last = g_new0 (WsStreamCounters, run->n_streams);
  run->first_retransmits = g_new0 (guint32, run->n_streams);
  run->server_results = g_new0 (WsStreamResult, run->n_streams);

  for (guint id = 0; id < run->n_streams; id++)
    {
      g_autoptr(GSocket) socket = open_data_connection (run, id, error);
      WsStreamRole role = role_of (run, id);

      if (socket == NULL)
        return FALSE;
      run->streams[id] = ws_stream_new (socket, id, role, role == WS_ROLE_CLIENT_SENDS,
                                        run->accept.length);
    }
  return TRUE;
}

static gboolean
start_streams (Run     *run,
               GError **error)
{
  WsMessage msg;

  if (!expect (run, WS_MSG_TEST_START, &msg, error))
    return FALSE;
  run->start_ns = run->interval_start_ns = ws_now_ns ();
  run->result->start_time = g_date_time_new_now_utc ();
  for (guint i = 0; i < run->n_streams; i++)
    {
      ws_stream_read (run->streams[i], &run->last[i]);
      run->first_retransmits[i] = run->last[i].retransmits;
      if (!ws_stream_start (run->streams[i], error))
        return FALSE;
    }
  return TRUE;
}

/* ---- Assembling samples ---- */

static Pending *
pending_at (Run   *run,
            guint  index)
{
  while (run->pending->len <= index)
    {
      Pending p = { 0 };

      p.sample.index = run->pending->len;
      p.sample.upload.measured = run->config.direction != WS_DIRECTION_DOWNLOAD;
      p.sample.download.measured = run->config.direction != WS_DIRECTION_UPLOAD;
      g_array_append_val (run->pending, p);
    }
  return &g_array_index (run->pending, Pending, index);
}

static void
finish_pending (Pending *p)
{
  p->sample.upload.rtt_us = p->up_rtt_n ? p->up_rtt_sum / p->up_rtt_n : 0;
  p->sample.download.rtt_us = p->down_rtt_n ? p->down_rtt_sum / p->down_rtt_n : 0;
}

/* Emits, in order, every sample that has both halves; with @flush, all. */
static void
emit_ready (Run      *run,
            gboolean  flush)
{
  while (run->next_emit < run->pending->len)
    {
      Pending *p = &g_array_index (run->pending, Pending, run->next_emit);

      if (!flush && !(p->local_done && p->server_reports >= run->n_streams))
        break;
      finish_pending (p);
      ws_result_add_sample (run->result, &p->sample);
      post_sample (run->client, &p->sample);
      run->next_emit++;
    }
}

/* Our half of interval @index: what our streams did since the last one. */
static void
take_local_sample (Run    *run,
                   gint64  now)
{
  Pending *p = pending_at (run, run->local_index);

  p->sample.start_s = (run->interval_start_ns - run->start_ns) / 1e9;
  p->sample.end_s = (now - run->start_ns) / 1e9;
  for (guint i = 0; i < run->n_streams; i++)
    {
      WsStreamCounters c;

      ws_stream_read (run->streams[i], &c);
      if (ws_stream_is_sending (run->streams[i]))
        {
          p->sample.upload.sender_bytes += c.bytes - run->last[i].bytes;
          p->sample.upload.retransmits += c.retransmits - run->last[i].retransmits;
          p->sample.upload.snd_cwnd += c.snd_cwnd;
          if (c.rtt_us)
            {
              p->up_rtt_sum += c.rtt_us;
              p->up_rtt_n++;
            }
        }
      else
        p->sample.download.receiver_bytes += c.bytes - run->last[i].bytes;
      run->last[i] = c;
    }
  p->local_done = TRUE;
  run->local_index++;
  run->interval_start_ns = now;
}

static void
merge_server_interval (Run              *run,
                       const WsInterval *iv)
{
  /* The server's clock started a little earlier than ours, so after
   * TEST_DONE it may report one interval more: fold that into our last. */
  guint index = run->finishing ? MIN (iv->index, run->local_index - 1) : iv->index;
  Pending *p;

  if (iv->stream_id >= run->n_streams)
    return;
  p = pending_at (run, index);
  if (iv->role == WS_ROLE_CLIENT_SENDS)
    p->sample.upload.receiver_bytes += iv->bytes_received;
  else
    {
      p->sample.download.sender_bytes += iv->bytes_sent;
      p->sample.download.retransmits += iv->retransmits;
      p->sample.download.snd_cwnd += iv->snd_cwnd;
      if (iv->rtt_us)
        {
          p->down_rtt_sum += iv->rtt_us;
          p->down_rtt_n++;
        }
    }
  if (!(iv->flags & WS_INTERVAL_FLAG_FINAL) && index == iv->index)
    p->server_reports++;
}

/* ---- The test clock ---- */

/* Handles one message from the server; *end is set by RESULTS_END. */
static gboolean
handle_server_message (Run       *run,
                       gboolean  *end,
                       GError   **error)
{
  WsMessage msg;

  if (!ws_io_read_message (run->control, &msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS, NULL, error))
    {
      g_prefix_error (error, "Lost the server during the test: ");
      return FALSE;
    }
  if (msg.version != WS_PROTOCOL_V2)
    goto unexpected;
  switch (msg.type)
    {
    case WS_MSG_INTERVAL:
      merge_server_interval (run, &msg.u.interval);
      /* While finishing, the server's last reports fold into our last
       * sample one stream at a time: emit only after RESULTS_END. */
      if (!run->finishing)
        emit_ready (run, FALSE);
      return TRUE;
    case WS_MSG_STREAM_RESULT:
      if (msg.u.stream_result.stream_id < run->n_streams)
        run->server_results[msg.u.stream_result.stream_id] = msg.u.stream_result;
      return TRUE;
    case WS_MSG_RESULTS_END:
      *end = TRUE;
      return TRUE;
    case WS_MSG_ERROR:
      explain_server_error (error, &msg);
      return FALSE;
    default:
      goto unexpected;
    }

unexpected:
  g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
               "The server sent an unexpected %s during the test",
               ws_message_type_to_string (msg.version, msg.type));
  return FALSE;
}

static gboolean
send_keepalive (Run     *run,
                GError **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_KEEPALIVE);
  return send_msg (run, &msg, error);
}

/* Runs until the duration is over or the caller cancels. */
static gboolean
run_clock (Run     *run,
           GError **error)
{
  gint64 interval_ns = (gint64) run->config.interval_ms * WS_NSEC_PER_MSEC;
  gint64 end_ns = run->start_ns + (gint64) run->accept.duration_ms * WS_NSEC_PER_MSEC;
  gint64 next_keepalive = run->start_ns + KEEPALIVE_NS;
  gboolean end = FALSE;

  for (;;)
    {
      gint64 next_tick = run->interval_start_ns + interval_ns;
      gint64 wake = MIN (MIN (next_tick, end_ns), next_keepalive);
      g_autoptr(GError) local_error = NULL;
      gint64 now;

      if (ws_io_wait_readable (run->control, wake, run->stop, &local_error))
        {
          if (!handle_server_message (run, &end, error))
            return FALSE;
          continue;
        }
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          run->result->interrupted = TRUE;
          return TRUE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      now = ws_now_ns ();
      if (now >= end_ns)
        return TRUE;
      if (now >= next_tick)
        {
          take_local_sample (run, now);
          emit_ready (run, FALSE);
        }
      if (now >= next_keepalive)
        {
          if (!send_keepalive (run, error))
            return FALSE;
          next_keepalive = now + KEEPALIVE_NS;
        }
    }
}

/* Stop writing, tell the server, let both sides drain, read the results. */
static gboolean
finish (Run     *run,
        GError **error)
{
  gint64 deadline;
  gboolean end = FALSE;
  WsMessage msg;

  run->stop_ns = ws_now_ns ();
  for (guint i = 0; i < run->n_streams; i++)
    if (ws_stream_is_sending (run->streams[i]))
      ws_stream_stop_sending (run->streams[i]);

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_DONE);
  msg.u.done.elapsed_ns = run->stop_ns - run->start_ns;
  if (!send_msg (run, &msg, error))
    return FALSE;

  deadline = ws_now_ns () + FINISH_TIMEOUT_NS;
  for (guint i = 0; i < run->n_streams; i++)
    if (!ws_stream_wait (run->streams[i], deadline))
      ws_stream_abort (run->streams[i]);
  for (guint i = 0; i < run->n_streams; i++)
    ws_stream_join (run->streams[i]);

  /* Bytes that drained after the stop belong to the last interval, which
   * therefore ends when the drain did: ending it at the stop would credit
   * a socket buffer's worth of bytes to a sliver of time. */
  take_local_sample (run, ws_now_ns ());
  run->finishing = TRUE;
  while (!end)
    if (!handle_server_message (run, &end, error))
      return FALSE;
  emit_ready (run, TRUE);
  return TRUE;
}

/* ---- The result ---- */

static void
summarise_stream (Run             *run,
                  guint            id,
                  WsStreamSummary *out)
{
  const WsStreamResult *server = &run->server_results[id];
  WsStreamCounters c;

  ws_stream_read (run->streams[id], &c);
  memset (out, 0, sizeof *out);
  out->id = id;
  out->duration_s = run->result->elapsed_s;
  out->flow.measured = TRUE;
  if (ws_stream_is_sending (run->streams[id]))
    {
      out->direction = WS_DIRECTION_UPLOAD;
      out->flow.sender_bytes = c.bytes;
      out->flow.receiver_bytes = server->bytes_received;
      out->flow.retransmits = c.retransmits - run->first_retransmits[id];
      out->flow.snd_cwnd = c.snd_cwnd;
      out->flow.rtt_us = c.rtt_us;
    }
  else
    {
      out->direction = WS_DIRECTION_DOWNLOAD;
      out->flow.sender_bytes = server->bytes_sent;
      out->flow.receiver_bytes = c.bytes;
      out->flow.retransmits = server->retransmits;
    }
}

/* Mean of the intervals' RTTs: the summary's smoothed RTT. */
static guint32
mean_rtt (GArray *samples,
          gboolean upload)
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
summarise (Run *run)
{
  WsResult *r = run->result;

  r->elapsed_s = (run->stop_ns - run->start_ns) / 1e9;
  for (guint id = 0; id < run->n_streams; id++)
    {
      WsStreamSummary st;

      summarise_stream (run, id, &st);
      g_array_append_val (r->stream_summaries, st);
      ws_flow_stats_add (st.direction == WS_DIRECTION_UPLOAD ? &r->upload : &r->download,
                         &st.flow);
    }
  r->upload.rtt_us = mean_rtt (r->samples, TRUE);
  r->download.rtt_us = mean_rtt (r->samples, FALSE);
  if (r->samples->len > 0)
    {
      const WsSample *last = &g_array_index (r->samples, WsSample, r->samples->len - 1);
      r->upload.snd_cwnd = last->upload.snd_cwnd;
      r->download.snd_cwnd = last->download.snd_cwnd;
    }
}

static WsResult *
new_result (Run *run)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (run->config.target);
  r->port = run->config.port;
  r->mode = run->config.mode;
  r->direction = run->config.direction;
  r->streams = run->config.streams;
  r->duration_s = run->config.duration_s;
  r->interval_s = run->config.interval_ms / 1000.0;
  r->length = run->config.length;
  return r;
}

static void
describe_remote (Run *run)
{
  GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (run->remote));

  run->result->remote_address = g_inet_address_to_string (address);
}

static void
run_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Run *run = task_data;
  GError *error = NULL;

  run->result = new_result (run);
  if (!connect_control (run, &error) || !handshake (run, &error)
      || !open_streams (run, &error) || !start_streams (run, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  describe_remote (run);
  if (!run_clock (run, &error) || !finish (run, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  summarise (run);
  g_task_return_pointer (task, g_steal_pointer (&run->result), (GDestroyNotify) ws_result_unref);
}

/**
 * ws_client_run_async:
 *
 * Runs one test. The "sample" signal is emitted once per interval on the
 * thread-default main context of the caller of this function.
 */
void
ws_client_run_async (WsClient            *self,
                     const WsTestConfig  *config,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (WS_IS_CLIENT (self));
  g_return_if_fail (config != NULL && config->target != NULL);

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();

  run = g_new0 (Run, 1);
  run->client = g_object_ref (self);
  ws_test_config_copy (&run->config, config);
  run->stop = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  run->pending = g_array_new (FALSE, TRUE, sizeof (Pending));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ws_client_run_async);
  /* Cancelling means "stop early", not "throw the result away". */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  g_task_run_in_thread (task, run_worker);
}

WsResult *
ws_client_run_finish (WsClient      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ws_client_finalize (GObject *object)
{
  WsClient *self = WS_CLIENT (object);

  g_queue_clear_full (&self->pending_samples, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ws_client_parent_class)->finalize (object);
}

static void
ws_client_class_init (WsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ws_client_finalize;

  /**
   * WsClient::sample:
   * @sample: (type gpointer): a WsSample, valid during the emission
   */
  signals[SIGNAL_SAMPLE] = g_signal_new ("sample", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ws_client_init (WsClient *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending_samples);
}

WsClient *
ws_client_new (void)
{
  return g_object_new (WS_TYPE_CLIENT, NULL);
}
