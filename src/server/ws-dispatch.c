/* ws-dispatch.c — what a connection is, by its first bytes
 *
 * Each admitted connection has a thread of its own until it knows what it
 * is: a version 1 test, a version 2 control connection, a version 2 data
 * connection (handed to its session by cookie), an iperf3 client's
 * control or data connection (the same, by iperf3's cookie), or HTTP (a
 * request line, or ALPN "http/1.1" after a TLS handshake). A session
 * runs on the thread that found it; a data connection's thread ends once
 * the session has the socket. The first read has the idle timeout as its
 * deadline and the connection's GCancellable, which ws_server_stop()
 * cancels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "ws-http.h"
#include "ws-http-session.h"
#include "ws-io.h"
#include "ws-iperf3-session.h"
#include "ws-legacy-session.h"
#include "ws-protocol.h"
#include "ws-server-private.h"
#include "ws-session.h"
#include "ws-time.h"

/* The first byte tells a TLS ClientHello (a handshake record, 0x16) from
 * our own messages, which start with a version byte of 1 or 2. */
#define TLS_HANDSHAKE_RECORD 0x16
/* How long a denied peer may take to be told so inside TLS. */
#define DENIED_HANDSHAKE_NS (3 * WS_NSEC_PER_SEC)
/* While a request line's method is still arriving, look again this often. */
#define SNIFF_RETRY_US 10000

/* A report connection (docs/PROTOCOL.md section 10.1), after AUTH and
 * COLLECT: handed to the sink within the report connections' own room,
 * never a session slot. */
static void
serve_reports (WsConnection  *conn,
               WsSession     *session,
               const WsHello *hello)
{
  WsServer *self = conn->server;
  const WsCollect *collect = ws_session_get_collect (session);
  WsReportPeer peer = { conn->channel, ws_session_get_key_name (session), conn->peer,
                        collect->flags, conn->cancellable, self->idle_timeout_s };
  g_autofree char *busy = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (self->report_sink == NULL || !(hello->capabilities & WS_CAP_REPORTS))
    ws_session_decline (session, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE, 0,
                        "This server does not collect reports", &error);
  else if (!ws_channel_is_tls (conn->channel))
    ws_session_decline (session, WS_PROTOCOL_ERROR_TLS_REQUIRED, 0, "Reports need TLS", &error);
  if (error != NULL)
    {
      g_info ("%s: reports refused: %s", conn->peer, error->message);
      return;
    }
  if (!_ws_server_claim_reporter (self))
    {
      busy = g_strdup_printf ("The collector is busy: it already serves %u report connections",
                              self->max_report_connections);
      ws_session_decline (session, WS_PROTOCOL_ERROR_BUSY, MIN (self->max_report_connections, G_MAXUINT16),
                          busy, &error);
      g_info ("%s: reports refused: %s", conn->peer, busy);
      return;
    }
  ok = ws_report_sink_serve (self->report_sink, &peer, &error);
  _ws_server_release_reporter (self);
  if (!ok)
    g_info ("%s: report connection of %s ended: %s", conn->peer, peer.key_name, error->message);
}

static void
run_v2_session (WsConnection  *conn,
                const WsHello *hello)
{
  WsServer *self = conn->server;
  g_autoptr(WsSession) session = NULL;
  g_autoptr(GError) error = NULL;

  session = ws_session_new (conn->channel, conn->peer, hello, self->idle_timeout_s, conn->cancellable);
  ws_session_set_auth (session, self->auth);
  ws_session_set_limits (session, self->max_duration_s, self->max_bitrate);
  ws_session_set_server (session, self);
  ws_session_set_collecting (session, self->report_sink != NULL);
  /* With keys, a slot only for who has one (see ws_session_greet()), and
   * none for a report connection: what the client wants is read first. */
  if (self->auth != NULL
      && (!ws_session_greet (session, &error) || !ws_session_read_request (session, &error)))
    {
      g_info ("%s: dropped: %s", conn->peer, error->message);
      return;
    }
  if (ws_session_get_collect (session) != NULL)
    serve_reports (conn, session, hello);
  else
    _ws_server_run_session (self, conn, WS_SERVER_SESSION (session));
}

static void
run_v1_session (WsConnection *conn)
{
  g_autoptr(WsLegacySession) session = NULL;

  session = ws_legacy_session_new (conn->channel, conn->peer, conn->server->idle_timeout_s,
                                   conn->cancellable);
  _ws_server_run_session (conn->server, conn, WS_SERVER_SESSION (session));
}

/* A STREAM_HELLO: the data connection of the session with its cookie. */
static void
attach_stream (WsConnection        *conn,
               const WsStreamHello *hello)
{
  WsSessionKey key = { hello->cookie, WS_COOKIE_SIZE, NULL };
  g_autoptr(WsServerSession) session = _ws_server_find_session (conn->server, &key);
  WsDataConnection data = { conn->socket, hello, conn->seq };
  g_autoptr(GError) error = NULL;

  if (session == NULL)
    {
      ws_io_send_error (conn->socket, WS_PROTOCOL_ERROR_UNKNOWN_SESSION, 0,
                        "No test with this cookie");
      g_info ("%s: data connection with an unknown cookie", conn->peer);
      return;
    }
  if (!ws_server_session_attach (session, &data, &error))
    {
      ws_io_send_error (conn->socket, error->code, 0, error->message);
      g_info ("%s: data connection refused: %s", conn->peer, error->message);
    }
}

static int
peek_first_byte (WsConnection  *conn,
                 gint64         deadline,
                 GError       **error)
{
  GInputVector vector;
  guint8 byte;
  gint flags = G_SOCKET_MSG_PEEK;

  vector.buffer = &byte;
  vector.size = 1;
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gssize r;

      if (!ws_io_wait_readable (conn->socket, deadline, conn->cancellable, error))
        return -1;
      r = g_socket_receive_message (conn->socket, NULL, &vector, 1, NULL, NULL, &flags,
                                    conn->cancellable, &local_error);
      if (r == 1)
        return byte;
      if (r == 0)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "closed before a message");
      else if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        continue;
      return -1;
    }
}

/* TLS for a connection that asks for it, when the server has a certificate. */
static gboolean
start_tls (WsConnection  *conn,
           gint64         deadline,
           GError       **error)
{
  GTlsCertificate *certificate = conn->server->tls_certificate;

  if (certificate == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "a TLS handshake, but this server has no certificate (--tls-cert)");
      return FALSE;
    }
  return ws_channel_accept_tls (conn->channel, certificate, deadline, conn->cancellable, error);
}

/* A server with a certificate serves plaintext tests only if told to. */
static gboolean
refuse_plaintext (WsConnection *conn)
{
  WsServer *self = conn->server;

  if (self->tls_certificate == NULL || self->allow_plaintext || ws_channel_is_tls (conn->channel))
    return FALSE;
  ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_TLS_REQUIRED, 0,
                         "This server requires TLS: connect with --tls");
  g_info ("%s: refused: plaintext control connection", conn->peer);
  return TRUE;
}

/* Version 1 cannot authenticate: a server with keys does not run it, or
 * anyone could test without one. */
static gboolean
refuse_without_auth (WsConnection *conn)
{
  if (conn->server->auth == NULL)
    return FALSE;
  ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_AUTH_FAILED, 0,
                         "This server requires authentication, which protocol version 1 cannot do");
  g_info ("%s: refused: version 1 at a server that requires keys", conn->peer);
  return TRUE;
}

static void
dispatch_message (WsConnection *conn,
                  WsMessage    *msg)
{
  gboolean tls = ws_channel_is_tls (conn->channel);

  if (msg->version == WS_PROTOCOL_V1 && msg->type == WS_V1_TEST_REQUEST && !tls)
    {
      if (!refuse_plaintext (conn) && !refuse_without_auth (conn))
        run_v1_session (conn);
    }
  else if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_HELLO)
    {
      if (!refuse_plaintext (conn))
        run_v2_session (conn, &msg->u.hello);
    }
  else if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_STREAM_HELLO && !tls)
    attach_stream (conn, &msg->u.stream_hello);
  else
    {
      ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_BAD_MESSAGE, 0,
                             tls ? "A TLS connection must start with HELLO"
                                 : "A connection must start with HELLO, STREAM_HELLO or a version 1 TEST_REQUEST");
      g_info ("%s: dropped: started with %s", conn->peer,
              ws_message_type_to_string (msg->version, msg->type));
    }
}

static void
run_iperf3_session (WsConnection *conn,
                    const guint8 *cookie)
{
  WsServer *self = conn->server;
  g_autoptr(WsIperf3Session) session = NULL;

  /* iperf3 cannot prove who it is to us, nor speak TLS. */
  if (self->auth != NULL || (self->tls_certificate != NULL && !self->allow_plaintext))
    {
      ws_iperf3_refuse (conn->socket, WS_IPERF3_SERVER_ERROR, WS_IPERF3_IE_AUTHTEST);
      g_info ("%s: iperf3 client refused: this server requires %s", conn->peer,
              self->auth != NULL ? "authentication" : "TLS");
      return;
    }
  session = ws_iperf3_session_new (conn->socket, conn->peer, cookie,
                                   self->idle_timeout_s, conn->cancellable);
  _ws_server_run_session (self, conn, WS_SERVER_SESSION (session));
}

/* The 37-byte cookie of an iperf3 client: a data connection of a running
 * iperf3 test, or a new test's control connection. */
static void
dispatch_iperf3 (WsConnection *conn,
                 gint64        deadline)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsServerSession) session = NULL;
  guint8 cookie[WS_IPERF3_COOKIE_SIZE];
  WsSessionKey key = { cookie, sizeof cookie, NULL };
  WsDataConnection data = { conn->socket, NULL, conn->seq };

  if (!ws_io_read_exact (conn->socket, cookie, sizeof cookie, deadline, conn->cancellable, &error))
    {
      g_info ("%s: dropped: %s", conn->peer, error->message);
      return;
    }
  if (!ws_iperf3_cookie_is_valid (cookie, sizeof cookie))
    {
      g_info ("%s: dropped: neither our protocol nor an iperf3 cookie", conn->peer);
      return;
    }
  session = _ws_server_find_session (conn->server, &key);
  if (session == NULL)
    run_iperf3_session (conn, cookie);
  else if (!ws_server_session_attach (session, &data, &error))
    g_info ("%s: iperf3 data connection refused: %s", conn->peer, error->message);
}

static WsHttpSession *
new_http_session (WsConnection *conn)
{
  WsServer *self = conn->server;
  WsHttpLimits limits = { self->idle_timeout_s, self->max_duration_s, self->max_bitrate };
  return ws_http_session_new (conn->socket, ws_channel_get_tls_stream (conn->channel), conn->peer,
                              &limits, conn->cancellable);
}

/* HTTP (docs/PROTOCOL.md section 9): refused as plaintext tests are at a
 * server that requires TLS, and at one that requires keys, which HTTP
 * cannot present; else a session like any other. */
static void
run_http_session (WsConnection *conn)
{
  WsServer *self = conn->server;
  g_autoptr(WsHttpSession) session = new_http_session (conn);

  if (self->tls_certificate != NULL && !self->allow_plaintext && !ws_channel_is_tls (conn->channel))
    {
      g_info ("%s: refused: plaintext HTTP", conn->peer);
      ws_http_session_refuse_with (session, 403, "This server requires HTTPS");
      return;
    }
  if (self->auth != NULL)
    {
      g_info ("%s: refused: HTTP at a server that requires keys", conn->peer);
      ws_http_session_refuse_with (session, 403, "This server requires a key, which HTTP cannot present");
      return;
    }
  _ws_server_run_session (self, conn, WS_SERVER_SESSION (session));
}

/* Whether the first bytes are a request line: a method and a space. They
 * are peeked, not read, for libsoup to read again; while they are still
 * arriving, the socket stays readable, so we look again a little later. */
static gboolean
is_http (WsConnection *conn,
         gint64        deadline)
{
  guint8 buf[WS_HTTP_SNIFF_MAX];
  int fd = g_socket_get_fd (conn->socket);

  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
      WsHttpSniff verdict;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      verdict = ws_http_sniff (buf, n);
      if (verdict != WS_HTTP_SNIFF_MORE)
        return verdict == WS_HTTP_SNIFF_HTTP;
      if (ws_now_ns () >= deadline || g_cancellable_is_cancelled (conn->cancellable))
        return FALSE;
      g_usleep (SNIFF_RETRY_US);
    }
}

/* HTTP: ALPN "http/1.1" after a handshake, else a request line. */
static gboolean
speaks_http (WsConnection *conn,
             int           first,
             gint64        deadline)
{
  if (ws_channel_is_tls (conn->channel))
    return g_strcmp0 (ws_channel_get_alpn (conn->channel), WS_CHANNEL_ALPN_HTTP) == 0;
  return first >= 'A' && first <= 'Z' && is_http (conn, deadline);
}

/* A denied peer that starts a TLS handshake gets its ERROR inside TLS,
 * where its client can read it; anything else gets it in plaintext. What
 * the peer sent is read before the close, so that the close is a FIN
 * behind the ERROR and not a reset that could destroy it. */
static void
tell_denied (WsConnection *conn)
{
  gint64 deadline = ws_now_ns () + DENIED_HANDSHAKE_NS;
  g_autoptr(GError) error = NULL;
  WsMessage msg;
  int first = peek_first_byte (conn, deadline, &error);

  if (first == TLS_HANDSHAKE_RECORD
      && !ws_channel_accept_tls (conn->channel, conn->server->tls_certificate, deadline,
                                 conn->cancellable, &error))
    {
      g_info ("%s: access denied, TLS handshake failed: %s", conn->peer, error->message);
      return;
    }
  if (first >= 0 && speaks_http (conn, first, deadline))
    {
      g_autoptr(WsHttpSession) session = new_http_session (conn);

      g_info ("%s: access denied (HTTP%s)", conn->peer, ws_channel_is_tls (conn->channel) ? "S" : "");
      ws_http_session_refuse_with (session, 403, "Access denied");
      return;
    }
  ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_ACCESS_DENIED, 0, "Access denied");
  if (first >= 0)
    ws_channel_read_message (conn->channel, &msg, deadline, conn->cancellable, NULL);
  g_info ("%s: access denied%s", conn->peer, ws_channel_is_tls (conn->channel) ? " (in TLS)" : "");
}

static void
dispatch (WsConnection *conn)
{
  g_autoptr(GError) error = NULL;
  gint64 deadline = ws_now_ns () + conn->server->idle_timeout_s * WS_NSEC_PER_SEC;
  WsMessage msg;
  int first;

  if (conn->denied)
    {
      tell_denied (conn);
      return;
    }
  first = peek_first_byte (conn, deadline, &error);
  if (first == TLS_HANDSHAKE_RECORD && !start_tls (conn, deadline, &error))
    first = -1;
  if (first < 0)
    {
      g_info ("%s: dropped: %s", conn->peer, error->message);
      return;
    }
  if (ws_iperf3_is_cookie_char (first))
    {
      dispatch_iperf3 (conn, deadline);
      return;
    }
  if (speaks_http (conn, first, deadline))
    {
      run_http_session (conn);
      return;
    }
  if (!ws_channel_read_message (conn->channel, &msg, deadline, conn->cancellable, &error))
    {
      if (error->domain == WS_PROTOCOL_ERROR)
        ws_channel_send_error (conn->channel, error->code,
                               error->code == WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION
                               ? WS_PROTOCOL_MAX_VERSION : 0,
                               error->message);
      g_info ("%s: dropped: %s", conn->peer, error->message);
      return;
    }
  dispatch_message (conn, &msg);
}

gpointer
_ws_server_connection_thread (gpointer data)
{
  WsConnection *conn = data;
  WsServer *self = conn->server;

  dispatch (conn);

  /* No reference on the server: ws_server_stop(), which finalize calls,
   * waits for this list to empty, and we touch nothing of it after. */
  g_mutex_lock (&self->lock);
  _ws_server_forget_pending_locked (self, conn);
  if (conn->denied)
    self->n_denying--;
  g_ptr_array_remove (self->connections, conn->cancellable);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_object_unref (conn->channel);
  g_object_unref (conn->socket);
  g_object_unref (conn->cancellable);
  g_free (conn->peer);
  g_free (conn->address);
  g_free (conn);
  return NULL;
}
