/* ws-session.c — one client's version 2 test, on the server side
 *
 * The connection thread that read HELLO runs the whole session: it answers,
 * waits for the data connections (which other connection threads attach by
 * cookie), runs the test clock, reports intervals and final results (their
 * counts: ws-session-report.c). Every
 * wait has a deadline and the session's own GCancellable, so a silent or
 * vanished client costs this session only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/random.h>

#include "ws-io.h"
#include "ws-address.h"
#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-grant.h"
#include "ws-session.h"
#include "ws-session-private.h"
#include "ws-session-report.h"
#include "ws-stream.h"
#include "ws-time.h"

/* How long the server waits for a client's data to drain after TEST_DONE. */
#define DRAIN_TIMEOUT_NS (5 * WS_NSEC_PER_SEC)

static void ws_session_server_session_init (WsServerSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsSession, ws_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_SERVER_SESSION,
                                                      ws_session_server_session_init))

static void
ws_session_finalize (GObject *object)
{
  WsSession *self = WS_SESSION (object);

  for (guint i = 0; i < self->n_streams; i++)
    g_clear_pointer (&self->streams[i], ws_stream_free);
  g_free (self->streams);
  g_free (self->last);
  g_free (self->last_udp);
  g_free (self->first_retransmits);
  g_socket_close (ws_channel_get_socket (self->control), NULL);
  g_clear_pointer (&self->auth, ws_auth_unref);
  g_clear_object (&self->control);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->host);
  g_free (self->peer);
  g_free (self->key_name);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (ws_session_parent_class)->finalize (object);
}

static void
ws_session_class_init (WsSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_session_finalize;
}

static void
ws_session_init (WsSession *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

/* @cancellable is the connection's: the server's stop reaches the
 * session even before it is registered. */
WsSession *
ws_session_new (WsChannel     *control,
                const char    *peer,
                const WsHello *hello,
                guint          idle_timeout_s,
                GCancellable  *cancellable)
{
  WsSession *self = g_object_new (WS_TYPE_SESSION, NULL);
  g_autoptr(GSocketAddress) sa = g_socket_get_remote_address (ws_channel_get_socket (control), NULL);

  self->control = g_object_ref (control);
  self->peer = g_strdup (peer);
  self->hello = *hello;
  if (G_IS_INET_SOCKET_ADDRESS (sa))
    self->host = g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  self->cancellable = g_object_ref (cancellable);
  self->idle_timeout_ns = idle_timeout_s * WS_NSEC_PER_SEC;
  return self;
}

/* The server whose other sessions TEST_GRANT counts. */
void
ws_session_set_server (WsSession *self,
                       WsServer  *server)
{
  self->server = server;
}

/* The server's limits, which negotiating applies; 0 = none. */
void
ws_session_set_limits (WsSession *self,
                       guint      max_duration_s,
                       guint64    max_bitrate)
{
  self->max_duration_s = max_duration_s;
  self->max_bitrate = max_bitrate;
}

gint64
_ws_session_idle_deadline (WsSession *self)
{
  return ws_now_ns () + self->idle_timeout_ns;
}

gboolean
_ws_session_send (WsSession        *self,
                  const WsMessage  *msg,
                  GError          **error)
{
  return ws_channel_send_message (self->control, msg, _ws_session_idle_deadline (self),
                                  self->cancellable, error);
}

/* Sends @code to the client and returns FALSE with the same error. The
 * texts stay English: they go over the wire to a client whose language the
 * server cannot know, and into the server's English log. */
gboolean
_ws_session_refuse (WsSession        *self,
                    WsProtocolError   code,
                    const char       *text,
                    GError          **error)
{
  return ws_session_decline (self, code, 0, text, error);
}

gboolean
_ws_session_read (WsSession  *self,
                  WsMessage  *msg,
                  GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  if (ws_channel_read_message (self->control, msg, _ws_session_idle_deadline (self),
                               self->cancellable, &local_error))
    return TRUE;
  if (local_error->domain == WS_PROTOCOL_ERROR)
    ws_channel_send_error (self->control, local_error->code, 0, local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* The request shrunk to the server's limits, or refused. */
static gboolean
apply_limits (WsSession  *self,
              GError    **error)
{
  WsGrantLimits limits = { self->max_duration_s, self->max_bitrate, self->grant };
  g_autofree char *refusal = ws_grant_limits (&self->request, self->n_streams, &limits);

  if (refusal != NULL)
    return _ws_session_refuse (self, WS_PROTOCOL_ERROR_INVALID_VALUE, refusal, error);
  return TRUE;
}

/* A request with the BYTES flag is followed by its size. */
static gboolean
read_test_bytes (WsSession  *self,
                 GError    **error)
{
  const char *refusal;
  WsMessage msg;

  if (!_ws_session_read (self, &msg, error))
    return FALSE;
  if (msg.version != WS_PROTOCOL_V2 || msg.type != WS_MSG_TEST_BYTES)
    return _ws_session_refuse (self, WS_PROTOCOL_ERROR_BAD_MESSAGE, "Expected TEST_BYTES", error);
  self->bytes = msg.u.test_bytes.bytes;
  refusal = ws_grant_check_bytes (&self->request, self->bytes);
  return refusal == NULL || _ws_session_refuse (self, WS_PROTOCOL_ERROR_INVALID_VALUE, refusal, error);
}

static gboolean
ws_session_negotiate (WsServerSession  *session,
                      GError          **error)
{
  WsSession *self = WS_SESSION (session);
  WsMessage msg;

  if (!self->greeted && !ws_session_greet (self, error))
    return FALSE;
  if (self->have_first)
    {
      msg = self->first;
      self->have_first = FALSE;
    }
  else if (!_ws_session_read (self, &msg, error))
    return FALSE;
  /* A collector reads COLLECT before negotiating; here it is a server's
   * that does not collect. */
  if (msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_COLLECT)
    return _ws_session_refuse (self, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE,
                               "This server does not collect reports", error);
  if (msg.version != WS_PROTOCOL_V2 || msg.type != WS_MSG_TEST_REQUEST)
    return _ws_session_refuse (self, WS_PROTOCOL_ERROR_BAD_MESSAGE, "Expected TEST_REQUEST", error);
  self->request = msg.u.request;
  /* The granted streams first: a fixed size is split over those. */
  ws_grant_streams (&self->request);
  if ((self->request.flags & WS_REQUEST_FLAG_BYTES) && !read_test_bytes (self, error))
    return FALSE;
  self->n_streams = ws_test_request_n_streams (&self->request);
  self->streams = g_new0 (WsStream *, self->n_streams);
  self->last = g_new0 (WsStreamCounters, self->n_streams);
  self->last_udp = g_new0 (WsUdpCounts, self->n_streams);
  self->first_retransmits = g_new0 (guint32, self->n_streams);
  if (!apply_limits (self, error))
    return FALSE;
  if (getrandom (self->cookie, sizeof self->cookie, 0) != sizeof self->cookie)
    return _ws_session_refuse (self, WS_PROTOCOL_ERROR_INTERNAL, "No randomness for a cookie", error);
  return TRUE;
}

static WsStreamParams
stream_params (WsSession *self)
{
  WsStreamParams p = { 0 };

  p.length = self->request.length;
  p.bitrate = self->request.bitrate;
  p.rr_request = self->request.rr_request_size;
  p.rr_response = self->request.rr_response_size;
  /* With a limit, what a client sends beyond its grant is not counted. */
  if (self->request.mode == WS_TEST_UDP_STREAM && self->max_bitrate > 0)
    p.police_bitrate = self->request.bitrate;
  memcpy (p.cookie, self->cookie, WS_COOKIE_SIZE);
  return p;
}

static gboolean
ws_session_attach (WsServerSession         *session,
                   const WsDataConnection  *data,
                   GError                 **error)
{
  WsSession *self = WS_SESSION (session);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GSocket *socket = data->socket;
  const WsStreamHello *hello = data->hello;
  gboolean udp = g_socket_get_socket_type (socket) == G_SOCKET_TYPE_DATAGRAM;
  guint id = hello->stream_id;
  WsStreamParams params;

  if (self->started || self->aborted)
    {
      g_set_error_literal (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE,
                           "The test has already started");
      return FALSE;
    }
  if (id >= self->n_streams || self->streams[id] != NULL)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE,
                   "Stream %u is not expected", id);
      return FALSE;
    }
  if (hello->role != ws_test_request_stream_role (&self->request, id)
      || udp != ws_stream_role_is_udp (&self->request, hello->role))
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE,
                   "Stream %u has the wrong role or transport", id);
      return FALSE;
    }

  params = stream_params (self);
  if (self->bytes != 0 && hello->role == WS_ROLE_SERVER_SENDS)
    params.bytes = ws_test_bytes_share (self->bytes, self->request.streams,
                                        id % self->request.streams);
  self->streams[id] = ws_stream_new (socket, id, hello->role,
                                     ws_stream_kind_for (self->request.mode, hello->role, FALSE),
                                     &params);
  self->n_attached++;
  g_cond_broadcast (&self->cond);
  return TRUE;
}

static void
ws_session_abort (WsServerSession *session)
{
  WsSession *self = WS_SESSION (session);

  g_mutex_lock (&self->lock);
  self->aborted = TRUE;
  for (guint i = 0; i < self->n_streams; i++)
    if (self->streams[i] != NULL)
      ws_stream_abort (self->streams[i]);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
}

static gboolean
wait_for_streams (WsSession  *self,
                  GError    **error)
{
  gint64 deadline = g_get_monotonic_time () + self->idle_timeout_ns / 1000;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  while (self->n_attached < self->n_streams && !self->aborted)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;

  if (self->aborted)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Session aborted");
      return FALSE;
    }
  if (self->n_attached < self->n_streams)
    {
      g_clear_pointer (&locker, g_mutex_locker_free);
      return _ws_session_refuse (self, WS_PROTOCOL_ERROR_TIMEOUT,
                     "Not all data connections arrived in time", error);
    }
  self->started = TRUE;
  return TRUE;
}

/* The sessions that count against --max-clients, of every protocol (one
 * slot each), less this one: it holds a slot from its admission, before
 * negotiating, to its end. */
static guint32
count_other_sessions (WsSession *self)
{
  guint n = self->server != NULL ? ws_server_get_n_sessions (self->server) : 0;

  return n > 0 ? n - 1 : 0;
}

static gboolean
send_accept (WsSession  *self,
             GError    **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_ACCEPT);
  memcpy (msg.u.accept.cookie, self->cookie, WS_COOKIE_SIZE);
  msg.u.accept.streams = self->request.streams;
  msg.u.accept.data_port = 0;
  msg.u.accept.duration_ms = self->request.duration_ms;
  msg.u.accept.length = self->request.length;
  if (!_ws_session_send (self, &msg, error))
    return FALSE;
  if (!self->grant)
    return TRUE;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_GRANT);
  msg.u.grant.bitrate = self->request.bitrate;
  if (self->server_tests)
    msg.u.grant.server_tests = count_other_sessions (self);
  return _ws_session_send (self, &msg, error);
}

static gboolean
start_streams (WsSession  *self,
               GError    **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_START);
  if (!_ws_session_send (self, &msg, error))
    return FALSE;

  self->start_ns = self->interval_start_ns = ws_now_ns ();
  for (guint i = 0; i < self->n_streams; i++)
    {
      ws_stream_read (self->streams[i], &self->last[i]);
      self->first_retransmits[i] = self->last[i].retransmits;
      if (!ws_stream_start (self->streams[i], error))
        return FALSE;
    }
  return TRUE;
}

/* A UDP receiver's accounting, since @since or (NULL) since the start. */
static gboolean
send_udp_stats (WsSession          *self,
                guint               id,
                const WsUdpCounts  *now,
                const WsUdpCounts  *since,
                guint8              flags,
                GError            **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_UDP_STATS);
  msg.u.udp_stats.stream_id = id;
  msg.u.udp_stats.flags = flags;
  msg.u.udp_stats.index = self->interval_index;
  ws_session_report_udp_stats (&msg.u.udp_stats, now, since);
  return _ws_session_send (self, &msg, error);
}

/* One INTERVAL per stream (and a UDP_STATS per UDP receiver): the server's
 * view since the previous report. */
static gboolean
send_intervals (WsSession  *self,
                gint64      now,
                guint8      flags,
                GError    **error)
{
  for (guint i = 0; i < self->n_streams; i++)
    {
      WsStreamCounters c;
      WsUdpCounts udp;
      WsMessage msg;
      WsInterval *iv = &msg.u.interval;

      ws_stream_read (self->streams[i], &c);
      ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_INTERVAL);
      ws_session_report_interval (iv, self->streams[i], &c, &self->last[i]);
      iv->stream_id = i;
      iv->flags = flags;
      iv->index = self->interval_index;
      iv->start_ns = self->interval_start_ns - self->start_ns;
      iv->end_ns = now - self->start_ns;
      self->last[i] = c;
      if (!_ws_session_send (self, &msg, error))
        return FALSE;
      if (ws_stream_read_udp (self->streams[i], &udp))
        {
          if (!send_udp_stats (self, i, &udp, &self->last_udp[i], flags, error))
            return FALSE;
          self->last_udp[i] = udp;
        }
    }
  self->interval_index++;
  self->interval_start_ns = now;
  return TRUE;
}

/* Handles one control message during the test. Returns FALSE on error;
 * sets *done when the client said TEST_DONE. */
static gboolean
handle_control (WsSession  *self,
                gboolean   *done,
                GError    **error)
{
  WsMessage msg;

  if (!ws_channel_read_message (self->control, &msg, _ws_session_idle_deadline (self),
                                self->cancellable, error))
    return FALSE;
  if (msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_KEEPALIVE)
    return TRUE;
  if (msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_TEST_DONE)
    {
      *done = TRUE;
      return TRUE;
    }
  if (msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_ERROR)
    {
      ws_io_set_error_from_message (error, &msg);
      return FALSE;
    }
  return _ws_session_refuse (self, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                 "Only KEEPALIVE and TEST_DONE are valid during a test", error);
}

static guint64
total_bytes (WsSession *self)
{
  guint64 total = 0;

  for (guint i = 0; i < self->n_streams; i++)
    {
      WsStreamCounters c;

      ws_stream_read (self->streams[i], &c);
      total += c.bytes;
    }
  return total;
}

/* The test clock: interval reports until TEST_DONE, the idle timeout or the
 * hard limit of duration + grace. Data moving in either direction proves
 * the client alive as well as a control message does: a server whose
 * --idle-timeout is shorter than the client's keepalive period must not
 * cut a healthy test short. */
static gboolean
run_clock (WsSession  *self,
           GError    **error)
{
  gint64 interval_ns = (gint64) self->request.interval_ms * WS_NSEC_PER_MSEC;
  gint64 hard_limit = self->start_ns + (gint64) self->request.duration_ms * WS_NSEC_PER_MSEC
                      + WS_SESSION_GRACE_S * WS_NSEC_PER_SEC;
  gint64 last_heard = ws_now_ns ();
  guint64 last_bytes = 0;
  gboolean done = FALSE;

  while (!done)
    {
      gint64 next_tick = self->interval_start_ns + interval_ns;
      gint64 idle_limit = last_heard + self->idle_timeout_ns;
      gint64 wake = MIN (next_tick, MIN (idle_limit, hard_limit));
      g_autoptr(GError) local_error = NULL;
      gint64 now;

      if (ws_channel_wait_readable (self->control, wake, self->cancellable, &local_error))
        {
          if (!handle_control (self, &done, error))
            return FALSE;
          last_heard = ws_now_ns ();
          continue;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      now = ws_now_ns ();
      if (now >= hard_limit)
        return _ws_session_refuse (self, WS_PROTOCOL_ERROR_TIMEOUT, "The test ran past its duration", error);
      if (now >= idle_limit && total_bytes (self) != last_bytes)
        {
          last_bytes = total_bytes (self);
          last_heard = now;
        }
      else if (now >= idle_limit)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "Control connection idle for %" G_GINT64_FORMAT " s",
                       self->idle_timeout_ns / WS_NSEC_PER_SEC);
          return FALSE;
        }
      if (now >= next_tick && !send_intervals (self, now, 0, error))
        return FALSE;
    }
  return TRUE;
}

/* After TEST_DONE: stop our senders, let the client's bytes drain, report. */
static void
drain_streams (WsSession *self)
{
  gint64 deadline = ws_now_ns () + DRAIN_TIMEOUT_NS;

  for (guint i = 0; i < self->n_streams; i++)
    ws_stream_stop_sending (self->streams[i]);
  for (guint i = 0; i < self->n_streams; i++)
    if (!ws_stream_wait (self->streams[i], deadline))
      ws_stream_abort (self->streams[i]);
  for (guint i = 0; i < self->n_streams; i++)
    ws_stream_join (self->streams[i]);
}

static gboolean
send_results (WsSession  *self,
              GError    **error)
{
  gint64 now = ws_now_ns ();
  WsMessage msg;

  if (!send_intervals (self, now, WS_INTERVAL_FLAG_FINAL, error))
    return FALSE;

  for (guint i = 0; i < self->n_streams; i++)
    {
      WsStreamResult *r = &msg.u.stream_result;
      WsStreamCounters c;
      WsUdpCounts udp;

      ws_stream_read (self->streams[i], &c);
      ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_STREAM_RESULT);
      r->stream_id = i;
      r->duration_ns = now - self->start_ns;
      ws_session_report_result (r, self->streams[i], &c, self->first_retransmits[i]);
      self->totals.bytes_sent += r->bytes_sent;
      self->totals.bytes_received += r->bytes_received;
      if (!_ws_session_send (self, &msg, error))
        return FALSE;
      if (ws_stream_read_udp (self->streams[i], &udp)
          && !send_udp_stats (self, i, &udp, NULL, WS_UDP_STATS_FLAG_TOTAL, error))
        return FALSE;
    }

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_RESULTS_END);
  msg.u.results_end.streams = self->n_streams;
  msg.u.results_end.intervals = self->interval_index;
  return _ws_session_send (self, &msg, error);
}

/* The test that negotiate agreed on, from TEST_ACCEPT to RESULTS_END.
 * The session must be findable by its cookie before this is called, since
 * the client opens its data connections on TEST_ACCEPT. */
static gboolean
ws_session_run (WsServerSession  *session,
                GError          **error)
{
  WsSession *self = WS_SESSION (session);
  gboolean ok;

  g_info ("%s: session started", self->peer);
  if (!send_accept (self, error) || !wait_for_streams (self, error))
    return FALSE;
  ok = start_streams (self, error) && run_clock (self, error);
  if (!ok)
    {
      ws_session_abort (WS_SERVER_SESSION (self));
      for (guint i = 0; i < self->n_streams; i++)
        ws_stream_join (self->streams[i]);
      return FALSE;
    }
  drain_streams (self);
  return send_results (self, error);
}

/* Its cookie, and for a UDP stream its control connection's host: one
 * spoofed datagram must not aim the server's traffic at a third party. */
static gboolean
ws_session_match (WsServerSession    *session,
                  const WsSessionKey *key)
{
  WsSession *self = WS_SESSION (session);

  if (key->cookie == NULL || key->cookie_size != WS_COOKIE_SIZE
      || memcmp (key->cookie, self->cookie, WS_COOKIE_SIZE) != 0)
    return FALSE;
  return key->source == NULL
         || (self->host != NULL && g_inet_address_equal (self->host, key->source));
}

static void
ws_session_get_totals (WsServerSession *session,
                       WsSessionTotals *totals)
{
  *totals = WS_SESSION (session)->totals;
}

static void
ws_session_refuse (WsServerSession *session,
                   WsClaim          claim,
                   guint            limit)
{
  WsSession *self = WS_SESSION (session);

  ws_server_session_refuse_busy (self->control, self->peer, claim, limit);
}

static char *
ws_session_describe_outcome (WsServerSession *session,
                             const GError    *error)
{
  if (error != NULL)
    return g_strdup_printf ("session aborted: %s", error->message);
  return g_strdup ("session finished");
}

static void
ws_session_server_session_init (WsServerSessionInterface *iface)
{
  iface->negotiate = ws_session_negotiate;
  iface->run = ws_session_run;
  iface->attach = ws_session_attach;
  iface->abort = ws_session_abort;
  iface->match = ws_session_match;
  iface->get_totals = ws_session_get_totals;
  iface->refuse = ws_session_refuse;
  iface->describe_outcome = ws_session_describe_outcome;
}
