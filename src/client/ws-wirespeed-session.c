/* ws-wirespeed-session.c — one session with a Wirespeed server
 *
 * From HELLO_REPLY to RESULTS_END: the handshake and what the server
 * granted, the data streams, the test clock, the drain and the results.
 * The worker thread that runs it owns the control connection and the
 * clock; each data stream has a thread of its own (ws-stream.c). Every
 * interval the sampler combines this end's view of the streams with the
 * server's INTERVAL reports into a WsSample.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-auth.h"
#include "ws-client-address.h"
#include "ws-error.h"
#include "ws-io.h"
#include "ws-sampler.h"
#include "ws-stream.h"
#include "ws-wirespeed-session.h"

#define KEEPALIVE_NS (5 * WS_NSEC_PER_SEC)
#define FINISH_TIMEOUT_NS (15 * WS_NSEC_PER_SEC)
#define CONNECT_TIMEOUT_S 10
#define UDP_HELLO_ATTEMPTS 10
#define UDP_HELLO_WAIT_NS (300 * WS_NSEC_PER_MSEC)
#define CLOSE_WAIT_NS (1 * WS_NSEC_PER_SEC)

/* Everything about one session; lives in the worker thread only. */
typedef struct {
  const WsTestConfig *config;
  const WsPhase *phase;
  const WsClientEvents *events;
  WsControl *control;
  GCancellable *phase_stop; /* until the control connection holds it */
  WsTestRequest request;
  guint32 flags;        /* TEST_REQUEST flags, e.g. the latency probe */
  gboolean grant;       /* the server sends TEST_GRANT after TEST_ACCEPT */
  gboolean server_tests; /* ... and counts its other tests in it */
  WsTestAccept accept;
  guint64 server_sent;  /* fixed size: payload the server's senders reported */

  WsStream **streams;
  guint n_streams;
  WsSampler *sampler;

  gint64 start_ns;
  gint64 interval_start_ns;
  gint64 stop_ns;
  gboolean interrupted; /* the caller stopped the test early */

  WsResult *result;
} Run;

static void
run_clear (Run *run)
{
  for (guint i = 0; i < run->n_streams; i++)
    g_clear_pointer (&run->streams[i], ws_stream_free);
  g_free (run->streams);
  g_clear_pointer (&run->sampler, ws_sampler_free);
  g_clear_pointer (&run->result, ws_result_unref);
  g_clear_pointer (&run->control, ws_control_free);
}

static void
notify (Run  *run,
        char *text)
{
  run->events->notice (text, run->events->user_data);
}

/* ---- The handshake ---- */

/* The answer to the server's challenge, when it asks for one. */
static gboolean
authenticate (Run                *run,
              const WsHelloReply *reply,
              GError            **error)
{
  WsMessage msg;

  if (!(reply->flags & WS_HELLO_FLAG_AUTH_REQUIRED))
    return TRUE;
  if (run->config->auth_name == NULL || run->config->auth_secret == NULL)
    {
      g_set_error_literal (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_KEY_MISSING,
                           _("The server requires authentication"));
      return FALSE;
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_AUTH);
  g_strlcpy (msg.u.auth.name, run->config->auth_name, sizeof msg.u.auth.name);
  ws_auth_compute (msg.u.auth.name, run->config->auth_secret, reply->nonce, msg.u.auth.mac);
  return ws_control_send (run->control, &msg, error);
}

/* The request the config asks for, with the mode's defaults filled in. */
static void
build_request (const WsTestConfig *config,
               WsTestRequest      *q)
{
  gboolean udp = ws_test_mode_is_udp (config->mode);

  memset (q, 0, sizeof *q);
  q->mode = config->mode;
  q->direction = config->direction;
  q->streams = config->streams;
  q->duration_ms = config->duration_s * 1000;
  q->interval_ms = config->interval_ms;
  q->length = config->length ? config->length : udp ? WS_DEFAULT_UDP_LENGTH : WS_DEFAULT_LENGTH;
  q->bitrate = config->bitrate != G_MAXUINT64 ? config->bitrate
               : udp ? WS_DEFAULT_UDP_BITRATE : 0;
  q->rr_request_size = config->rr_request_size;
  q->rr_response_size = config->rr_response_size;
}


/* "5 Mbit/s", for notices. */
static char *
format_rate (guint64 bps)
{
  static const char * const units[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
  gdouble value = bps;
  guint i = 0;

  for (; value >= 1000 && i + 1 < G_N_ELEMENTS (units); i++)
    value /= 1000;
  return g_strdup_printf ("%.3g %s", value, units[i]);
}

/* Tells the caller, once per limit, where the server granted less than
 * @asked: the test then runs as granted. */
static void
notice_limits (Run                 *run,
               const WsTestRequest *asked)
{
  const WsTestRequest *got = &run->request;

  if (got->duration_ms < asked->duration_ms)
    notify (run, g_strdup_printf (_("The server limits tests to %g s; running %g s"),
                                               got->duration_ms / 1000.0,
                                               got->duration_ms / 1000.0));
  if (got->streams < asked->streams)
    notify (run,
                 g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "The server limits tests to %u stream per direction; running %u",
                                               "The server limits tests to %u streams per direction; running %u",
                                               got->streams),
                                  got->streams, got->streams));
  if (got->length < asked->length)
    notify (run,
                 g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "The server limits writes to %u byte; using %u byte",
                                               "The server limits writes to %u bytes; using %u bytes",
                                               got->length),
                                  got->length, got->length));
  if (got->mode == WS_TEST_UDP_STREAM && got->bitrate != asked->bitrate)
    {
      g_autofree char *rate = format_rate (got->bitrate);

      /* Translators: %s is a rate such as “5 Mbit/s”. */
      notify (run, g_strdup_printf (_("The server limits the rate to %s per stream; "
                                                   "running at %s per stream"), rate, rate));
    }
}

/* TEST_ACCEPT, and TEST_GRANT when the server sends one: what the server
 * granted, which may be less than run->request asked for and never more. */
static gboolean
take_grant (Run     *run,
            GError **error)
{
  const WsTestAccept *a = &run->accept;
  const WsTestRequest asked = run->request;
  WsMessage msg;

  if (a->streams > asked.streams || a->duration_ms > asked.duration_ms
      || a->length > asked.length)
    goto more;
  run->request.streams = a->streams;
  run->request.duration_ms = a->duration_ms;
  run->request.length = a->length;
  if (run->grant)
    {
      if (!ws_control_expect (run->control, WS_MSG_TEST_GRANT, &msg, error))
        return FALSE;
      if (asked.bitrate != 0 && (msg.u.grant.bitrate == 0 || msg.u.grant.bitrate > asked.bitrate))
        goto more;
      run->request.bitrate = msg.u.grant.bitrate;
      if (run->server_tests)
        run->result->server_tests = MIN (msg.u.grant.server_tests, (guint32) G_MAXINT);
    }
  run->result->streams = a->streams;
  run->result->duration_s = (a->duration_ms + 500) / 1000;
  notice_limits (run, &asked);
  return TRUE;

more:
  g_set_error_literal (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE,
                       _("The server granted more than this client asked for"));
  return FALSE;
}


/* The idle probe before a fixed-size test is an ordinary timed one. */
static gboolean
fixed_size (Run *run)
{
  return run->config->bytes != 0 && !ws_test_mode_is_rr (run->config->mode);
}

static gboolean
send_test_bytes (Run     *run,
                 GError **error)
{
  WsMessage msg;

  if (!fixed_size (run))
    return TRUE;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_BYTES);
  msg.u.test_bytes.bytes = run->config->bytes;
  return ws_control_send (run->control, &msg, error);
}

/* A server that announced CLIENT_ADDRESS sends it right after HELLO_REPLY;
 * an older one says nothing, and the result has no client address. */
static gboolean
read_client_address (Run                *run,
                     const WsHelloReply *reply,
                     GError            **error)
{
  WsMessage msg;

  if ((reply->capabilities & WS_CAP_CLIENT_ADDRESS) == 0)
    return TRUE;
  if (!ws_control_expect (run->control, WS_MSG_CLIENT_ADDRESS, &msg, error))
    return FALSE;
  g_free (run->result->client_address);
  run->result->client_address = ws_client_address_format (&msg.u.client_address);
  return TRUE;
}

static gboolean
handshake (Run     *run,
           GError **error)
{
  WsHelloReply reply;
  WsMessage msg;

  if (!ws_control_expect (run->control, WS_MSG_HELLO_REPLY, &msg, error))
    return FALSE;
  run->events->peer (WS_PEER_WIRESPEED, run->events->user_data);
  reply = msg.u.hello_reply;
  if (!read_client_address (run, &reply, error) || !authenticate (run, &reply, error))
    return FALSE;
  run->grant = (reply.capabilities & WS_CAP_TEST_GRANT) != 0;
  /* Without the bit the field is reserved: an older server's 0 is not a
   * count, and the result keeps "unknown". */
  run->server_tests = run->grant && (reply.capabilities & WS_CAP_SERVER_TESTS);
  if (run->config->bytes != 0 && !(reply.capabilities & WS_CAP_TEST_BYTES))
    {
      g_set_error (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_BYTES_UNSUPPORTED,
                   _("The server at %s port %u is too old for fixed-size tests"),
                   run->config->target, run->config->port);
      return FALSE;
    }

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  build_request (run->config, &msg.u.request);
  msg.u.request.flags = run->flags | (fixed_size (run) ? WS_REQUEST_FLAG_BYTES : 0);
  if (!ws_test_request_validate (&msg.u.request, error))
    return FALSE;
  run->request = msg.u.request;
  if (!ws_control_send (run->control, &msg, error) || !send_test_bytes (run, error)
      || !ws_control_expect (run->control, WS_MSG_TEST_ACCEPT, &msg, error))
    return FALSE;
  run->accept = msg.u.accept;
  /* The server may grant less than we asked for. */
  return take_grant (run, error);
}

static void
stream_hello (Run       *run,
              guint      id,
              WsMessage *msg)
{
  ws_message_init (msg, WS_PROTOCOL_V2, WS_MSG_STREAM_HELLO);
  memcpy (msg->u.stream_hello.cookie, run->accept.cookie, WS_COOKIE_SIZE);
  msg->u.stream_hello.stream_id = id;
  msg->u.stream_hello.role = ws_test_request_stream_role (&run->request, id);
}

static GSocket *
open_tcp_stream (Run      *run,
                 guint     id,
                 GError  **error)
{
  g_autoptr(GSocket) socket = NULL;
  WsMessage msg;

  socket = g_socket_new (g_socket_address_get_family (run->control->remote), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_timeout (socket, CONNECT_TIMEOUT_S);
  if (!g_socket_connect (socket, run->control->remote, run->control->stop, error))
    {
      /* Translators: %u numbers the connection; the reason follows. */
      g_prefix_error (error, _("Data connection %u: "), id);
      return NULL;
    }
  stream_hello (run, id, &msg);
  if (!ws_io_send_message (socket, &msg, ws_now_ns () + WS_CONTROL_TIMEOUT_NS, run->control->stop, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/* A UDP stream says STREAM_HELLO in a datagram until the server's
 * STREAM_ACK comes back from the socket it made for this stream. */
static gboolean
udp_handshake (Run      *run,
               GSocket  *socket,
               guint     id,
               GError  **error)
{
  guint8 hello[WS_MESSAGE_MAX_SIZE], reply[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;
  gsize n;

  stream_hello (run, id, &msg);
  n = ws_message_encode (&msg, hello, sizeof hello);
  for (guint attempt = 0; attempt < UDP_HELLO_ATTEMPTS; attempt++)
    {
      gint64 deadline = ws_now_ns () + UDP_HELLO_WAIT_NS;
      gssize got;

      if (g_socket_send (socket, (const char *) hello, n, run->control->stop, error) < 0)
        return FALSE;
      while (ws_io_wait_readable (socket, deadline, run->control->stop, NULL))
        {
          got = g_socket_receive (socket, (char *) reply, sizeof reply, NULL, NULL);
          if (got > 0 && ws_message_decode (reply, got, &msg, NULL, NULL)
              && msg.type == WS_MSG_STREAM_ACK && msg.u.stream_hello.stream_id == id)
            return TRUE;
        }
      if (g_cancellable_set_error_if_cancelled (run->control->stop, error))
        return FALSE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               /* Translators: a stream number, then a port number. */
               _("UDP stream %u: no answer from the server’s UDP port %u (is UDP blocked?)"),
               id, run->config->port);
  return FALSE;
}

static GSocket *
open_udp_stream (Run      *run,
                 guint     id,
                 GError  **error)
{
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (g_socket_address_get_family (run->control->remote), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL || !g_socket_connect (socket, run->control->remote, run->control->stop, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  if (!udp_handshake (run, socket, id, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static gboolean
open_streams (Run     *run,
              GError **error)
{
  WsStreamParams params = { 0 };

  params.length = run->request.length;
  params.bitrate = run->request.bitrate;
  params.rr_request = run->request.rr_request_size;
  params.rr_response = run->request.rr_response_size;
  params.rr_timeout_ns = (guint64) run->config->rr_timeout_ms * WS_NSEC_PER_MSEC;
  params.no_zerocopy = run->config->no_zerocopy;
  params.no_gso = run->config->no_gso;

  run->n_streams = ws_test_request_n_streams (&run->request);
  run->streams = g_new0 (WsStream *, run->n_streams);
  for (guint id = 0; id < run->n_streams; id++)
    {
      WsStreamRole role = ws_test_request_stream_role (&run->request, id);
      g_autoptr(GSocket) socket = ws_stream_role_is_udp (&run->request, role)
                                  ? open_udp_stream (run, id, error)
                                  : open_tcp_stream (run, id, error);

      if (socket == NULL)
        return FALSE;
      params.pace_ns = role == WS_ROLE_PROBE ? WS_PROBE_INTERVAL_NS
                       : (guint64) run->config->rr_pace_us * 1000;
      params.bytes = fixed_size (run) && role == WS_ROLE_CLIENT_SENDS
                     ? ws_test_bytes_share (run->config->bytes, run->request.streams,
                                            id % run->request.streams)
                     : 0;
      run->streams[id] = ws_stream_new (socket, id, role,
                                        ws_stream_kind_for (run->request.mode, role, TRUE),
                                        &params);
    }
  run->sampler = ws_sampler_new (&run->request, run->streams, run->result);
  return TRUE;
}

static gboolean
start_streams (Run     *run,
               GError **error)
{
  WsMessage msg;

  if (!ws_control_expect (run->control, WS_MSG_TEST_START, &msg, error))
    return FALSE;
  run->start_ns = run->interval_start_ns = ws_now_ns ();
  run->result->start_time = g_date_time_new_now_utc ();
  ws_sampler_start (run->sampler, run->start_ns);
  for (guint i = 0; i < run->n_streams; i++)
    if (!ws_stream_start (run->streams[i], error))
      return FALSE;
  return TRUE;
}

static void
emit_ready (Run      *run,
            gboolean  flush)
{
  WsSample sample;

  while (ws_sampler_pop_ready (run->sampler, flush, &sample))
    {
      if (run->phase->on_sample != NULL)
        run->phase->on_sample (&sample, run->phase->user_data);
    }
}

/* ---- The test clock ---- */

/* Handles one message from the server; *end is set by RESULTS_END. */
static gboolean
handle_server_message (Run       *run,
                       gboolean  *end,
                       GError   **error)
{
  WsMessage msg;

  if (!ws_channel_read_message (run->control->channel, &msg, ws_now_ns () + WS_CONTROL_TIMEOUT_NS, NULL, error))
    {
      g_prefix_error (error, _("Lost the server during the test: "));
      return FALSE;
    }
  if (msg.version != WS_PROTOCOL_V2)
    goto unexpected;
  switch (msg.type)
    {
    case WS_MSG_INTERVAL:
      if (msg.u.interval.role == WS_ROLE_SERVER_SENDS)
        run->server_sent += msg.u.interval.bytes_sent;
      ws_sampler_add_interval (run->sampler, &msg.u.interval);
      emit_ready (run, FALSE);
      return TRUE;
    case WS_MSG_UDP_STATS:
      ws_sampler_add_udp_stats (run->sampler, &msg.u.udp_stats);
      emit_ready (run, FALSE);
      return TRUE;
    case WS_MSG_STREAM_RESULT:
      ws_sampler_add_result (run->sampler, &msg.u.stream_result);
      return TRUE;
    case WS_MSG_RESULTS_END:
      *end = TRUE;
      return TRUE;
    case WS_MSG_ERROR:
      ws_control_set_server_error (error, &msg);
      return FALSE;
    default:
      goto unexpected;
    }

unexpected:
  g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
               /* Translators: %s is a protocol message name, such as HELLO_REPLY. */
               _("The server sent an unexpected %s during the test"),
               ws_message_type_to_string (msg.version, msg.type));
  return FALSE;
}

static gboolean
send_keepalive (Run     *run,
                GError **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_KEEPALIVE);
  return ws_control_send (run->control, &msg, error);
}

/* How often a fixed-size test looks whether its bytes are there. */
#define BYTES_POLL_NS (10 * WS_NSEC_PER_MSEC)

/* Whether a UDP receiving stream has its whole share: without loss, the
 * test need not wait for the server's next report. */
static gboolean
udp_share_received (Run      *run,
                    WsStream *stream)
{
  WsStreamCounters c;

  ws_stream_read (stream, &c);
  return c.bytes >= ws_test_bytes_share (run->config->bytes, run->request.streams,
                                         ws_stream_get_id (stream) % run->request.streams);
}

/* Whether every byte of a fixed-size test has reached its receiver, as
 * far as this end can tell: its senders wrote their shares (the server
 * reads them to end-of-file after TEST_DONE), its TCP receivers saw the
 * server's end-of-file, and its UDP receivers have their shares, or the
 * server reported its UDP senders done (datagrams may be lost). */
static gboolean
bytes_delivered (Run *run)
{
  gboolean udp_missing = FALSE;

  for (guint i = 0; i < run->n_streams; i++)
    {
      WsStream *stream = run->streams[i];
      WsStreamKind kind = ws_stream_get_kind (stream);

      if (kind == WS_STREAM_UDP_RECEIVE)
        udp_missing |= !udp_share_received (run, stream);
      else if ((kind == WS_STREAM_TCP_SEND || kind == WS_STREAM_UDP_SEND
                || kind == WS_STREAM_TCP_RECEIVE)
               && !ws_stream_wait (stream, 0))
        return FALSE;
    }
  return !udp_missing || run->server_sent >= run->config->bytes;
}

/* Runs until the duration is over or the caller cancels. */
static gboolean
run_clock (Run     *run,
           GError **error)
{
  gint64 interval_ns = (gint64) run->config->interval_ms * WS_NSEC_PER_MSEC;
  gint64 end_ns = run->start_ns + (gint64) run->accept.duration_ms * WS_NSEC_PER_MSEC;
  gint64 next_keepalive = run->start_ns + KEEPALIVE_NS;
  gboolean end = FALSE;

  for (;;)
    {
      gint64 next_tick = run->interval_start_ns + interval_ns;
      gint64 wake = MIN (MIN (next_tick, end_ns), next_keepalive);
      g_autoptr(GError) local_error = NULL;
      gint64 now;

      if (fixed_size (run))
        {
          if (bytes_delivered (run))
            return TRUE;
          wake = MIN (wake, ws_now_ns () + BYTES_POLL_NS);
        }

      if (ws_channel_wait_readable (run->control->channel, wake, run->control->stop, &local_error))
        {
          if (!handle_server_message (run, &end, error))
            return FALSE;
          continue;
        }
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          run->interrupted = TRUE;
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
          ws_sampler_tick (run->sampler, now);
          run->interval_start_ns = now;
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

/* Our server gives a session's slot back and then closes its connection.
 * Waiting for that close (briefly: a peer that keeps the connection open
 * costs a second) keeps a finished phase out of the next one's count of
 * the server's other tests, and from taking the slot of a server with one. */
static void
await_server_close (Run *run)
{
  ws_channel_wait_readable (run->control->channel, ws_now_ns () + CLOSE_WAIT_NS,
                            run->control->stop, NULL);
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
    ws_stream_stop_sending (run->streams[i]);

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_DONE);
  msg.u.done.elapsed_ns = run->stop_ns - run->start_ns;
  if (!ws_control_send (run->control, &msg, error))
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
  ws_sampler_tick (run->sampler, ws_now_ns ());
  ws_sampler_begin_finish (run->sampler);
  while (!end)
    if (!handle_server_message (run, &end, error))
      return FALSE;
  emit_ready (run, TRUE);
  await_server_close (run);
  return TRUE;
}


/* ---- The session ---- */

static gboolean
start_session (Run     *run,
               GError **error)
{
  if (run->control == NULL)
    {
      run->control = ws_control_connect (run->config, run->phase_stop, error);
      if (run->control == NULL || !ws_control_send_hello (run->control, error))
        return FALSE;
    }
  return handshake (run, error) && open_streams (run, error) && start_streams (run, error);
}

/**
 * ws_wirespeed_session_run:
 * @control: (transfer full) (nullable): a connection whose HELLO has been
 *   sent, or %NULL to make one
 *
 * Runs @phase from the handshake to RESULTS_END. Blocks; call it from a
 * worker thread. Cancelling @stop during the test ends it early, and the
 * result says interrupted.
 */
WsResult *
ws_wirespeed_session_run (WsControl             *control,
                          const WsPhase         *phase,
                          const WsClientEvents  *events,
                          GCancellable          *stop,
                          GError               **error)
{
  Run run = { 0 };
  WsResult *result = NULL;

  run.config = phase->config;
  run.phase = phase;
  run.events = events;
  run.control = control;
  run.phase_stop = stop;
  run.flags = phase->loaded ? WS_REQUEST_FLAG_PROBE : 0;
  run.result = ws_client_result_new (phase->config);
  if (start_session (&run, error))
    {
      ws_client_result_set_addresses (run.result, run.control->socket, run.control->remote);
      run.result->length = run.request.length;
      run.result->rr_request_size = run.request.rr_request_size;
      run.result->rr_response_size = run.request.rr_response_size;
      if (run_clock (&run, error) && finish (&run, error))
        {
          ws_sampler_summarise (run.sampler, run.stop_ns, run.interrupted);
          result = g_steal_pointer (&run.result);
        }
    }
  run_clear (&run);
  return result;
}
