/* ws-http-session.c — one HTTP connection, on the server's port
 *
 * The connection thread that recognised a request line (or negotiated
 * ALPN "http/1.1" in TLS) runs the connection to its end: a SoupServer of
 * its own, handed the stream with soup_server_accept_iostream(), in a
 * GMainContext of its own pushed as the thread's default, iterated until
 * the connection closes. So an HTTP connection is one session like any
 * other: it holds a slot while it is open, ws_server_stop() aborts it
 * (the connection's GCancellable wakes the loop), and it gives back what
 * it moved.
 *
 * Limits are checked by a tick in that context and as data moves: the
 * idle timeout counts from the last step (request headers complete, a
 * body chunk read or written, a response finished), so a client that
 * trickles its headers is cut after it as surely as a silent one; a
 * request still running after the maximum duration is cut; and bodies
 * are paced to the maximum bitrate (ws-http-endpoints.c writes, this
 * file reads).
 *
 * A SoupServer closes a connection after each response unless it has a
 * listener; it gets one that can never accept (one end of a socket pair
 * nobody writes to), so that keep-alive works.
 *
 * The log stays English, one line per request (docs/PROTOCOL.md 9.4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-http.h"
#include "ws-http-private.h"
#include "ws-io.h"
#include "ws-time.h"

#define TICK_MS 100
/* A refused connection is answered within this, or closed. */
#define REFUSAL_NS (2 * WS_NSEC_PER_SEC)
#define LOG_TARGET_MAX 160
#define LINGER_NS (250 * WS_NSEC_PER_MSEC)

struct _WsHttpSession {
  GObject parent_instance;

  GIOStream *stream;      /* a GSocketConnection, or the GTlsConnection over it */
  GSocket *socket;
  GSocketAddress *remote;
  GSocketAddress *local;
  char *peer;
  WsHttpLimits limits;
  GCancellable *cancellable;

  /* The connection's thread only */
  guint refusal_status;   /* not 0: every request gets it, with refusal_text */
  char *refusal_text;
  gboolean done;
  char *close_reason;
  gint64 last_step_ns;
  WsHttpRequest *current;

  GMutex lock;
  WsSessionTotals totals;
  guint n_requests;
};

static void ws_http_session_server_session_init (WsServerSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsHttpSession, ws_http_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_SERVER_SESSION,
                                                      ws_http_session_server_session_init))

static void
ws_http_session_finalize (GObject *object)
{
  WsHttpSession *self = WS_HTTP_SESSION (object);

  g_object_unref (self->stream);
  g_object_unref (self->socket);
  g_clear_object (&self->remote);
  g_clear_object (&self->local);
  g_object_unref (self->cancellable);
  g_free (self->peer);
  g_free (self->refusal_text);
  g_free (self->close_reason);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ws_http_session_parent_class)->finalize (object);
}

static void
ws_http_session_class_init (WsHttpSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_http_session_finalize;
}

static void
ws_http_session_init (WsHttpSession *self)
{
  g_mutex_init (&self->lock);
}

/* libsoup's own stream on a plaintext connection: a duplicate of the
 * socket, so that when libsoup closes it the connection stays open for
 * the lingering close (serve()). */
static GIOStream *
plaintext_stream (GSocket *socket)
{
  int fd = dup (g_socket_get_fd (socket));
  g_autoptr(GSocket) twin = fd >= 0 ? g_socket_new_from_fd (fd, NULL) : NULL;

  if (twin == NULL)
    {
      if (fd >= 0)
        close (fd);
      return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
    }
  return G_IO_STREAM (g_socket_connection_factory_create_connection (twin));
}

/* @tls: the connection's TLS stream, NULL in plaintext; @cancellable is
 * the connection's, which the server's stop cancels. */
WsHttpSession *
ws_http_session_new (GSocket            *socket,
                     GIOStream          *tls,
                     const char         *peer,
                     const WsHttpLimits *limits,
                     GCancellable       *cancellable)
{
  WsHttpSession *self = g_object_new (WS_TYPE_HTTP_SESSION, NULL);

  self->stream = tls ? g_object_ref (tls) : plaintext_stream (socket);
  self->socket = g_object_ref (socket);
  self->remote = g_socket_get_remote_address (socket, NULL);
  self->local = g_socket_get_local_address (socket, NULL);
  self->peer = g_strdup (peer);
  self->limits = *limits;
  self->cancellable = g_object_ref (cancellable);
  return self;
}

gboolean
_ws_http_session_is_tls (WsHttpSession *self)
{
  return G_IS_TLS_CONNECTION (self->stream);
}

GSocketAddress *
_ws_http_session_get_remote (WsHttpSession *self)
{
  return self->remote;
}

const WsHttpLimits *
_ws_http_session_get_limits (WsHttpSession *self)
{
  return &self->limits;
}

/* Ends the connection at the loop's next turn, saying why in the log. */
void
_ws_http_session_close (WsHttpSession *self,
                        const char    *reason)
{
  if (self->close_reason == NULL)
    self->close_reason = g_strdup (reason);
  self->done = TRUE;
  g_main_context_wakeup (g_main_context_get_thread_default ());
}

/* How long to wait before moving more, @moved bytes into @request's body,
 * to stay within the maximum bitrate. */
gint64
_ws_http_pace_delay_ns (WsHttpRequest *request,
                        guint64        moved)
{
  guint64 rate = request->session->limits.max_bitrate;
  gint64 due;

  if (rate == 0)
    return 0;
  due = request->start_ns + (gint64) ((gdouble) moved * 8 * WS_NSEC_PER_SEC / (gdouble) rate);
  return MAX (0, due - ws_now_ns ());
}

int
_ws_http_session_get_fd (WsHttpSession *self)
{
  return g_socket_get_fd (self->socket);
}

/* The limits a body written outside libsoup keeps to. */
void
_ws_http_body_limits (WsHttpRequest    *request,
                      WsHttpBodyLimits *limits)
{
  WsHttpSession *self = request->session;

  limits->cancellable = self->cancellable;
  limits->idle_ns = (gint64) self->limits.idle_timeout_s * WS_NSEC_PER_SEC;
  limits->deadline_ns = self->limits.max_duration_s == 0 ? 0
                        : request->start_ns + (gint64) self->limits.max_duration_s * WS_NSEC_PER_SEC;
}

/* ---- Requests ---- */

/* Calls @func with @msg after @delay_ns, in the session's context. */
GSource *
_ws_http_add_timeout (gint64             delay_ns,
                      GSourceFunc        func,
                      SoupServerMessage *msg)
{
  GSource *source = g_timeout_source_new ((guint) MAX (1, delay_ns / (WS_NSEC_PER_SEC / 1000)));

  g_source_set_callback (source, func, msg, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

void
_ws_http_source_drop (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static void
request_free (gpointer data)
{
  WsHttpRequest *r = data;

  g_clear_pointer (&r->pace, _ws_http_source_drop);
  g_free (r);
}

WsHttpRequest *
_ws_http_request_get (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), "ws-http-request");
}

static void
step (WsHttpSession *self)
{
  self->last_step_ns = ws_now_ns ();
}

static void
on_got_headers (SoupServerMessage *msg,
                WsHttpRequest     *r)
{
  WsHttpSession *self = r->session;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  r->start_ns = ws_now_ns ();
  self->current = r;
  step (self);
  _ws_http_set_common_headers (msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && (guint64) soup_message_headers_get_content_length (headers) > WS_HTTP_MAX_BODY
      && soup_server_message_get_status (msg) == 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
    }
}

static gboolean
resume_reading (gpointer data)
{
  SoupServerMessage *msg = data;
  WsHttpRequest *r = _ws_http_request_get (msg);

  g_clear_pointer (&r->pace, g_source_unref);
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              WsHttpRequest     *r)
{
  WsHttpSession *self = r->session;
  gint64 delay;

  r->received += g_bytes_get_size (chunk);
  step (self);
  if (r->received > WS_HTTP_MAX_BODY)
    {
      _ws_http_session_close (self, "request body over the maximum");
      return;
    }
  delay = _ws_http_pace_delay_ns (r, r->received);
  if (delay > WS_NSEC_PER_SEC / 1000 && r->pace == NULL)
    {
      soup_server_message_pause (msg);
      r->pace = _ws_http_add_timeout (delay, resume_reading, msg);
    }
}

static void
on_got_body (SoupServerMessage *msg,
             WsHttpRequest     *r)
{
  r->body_end_ns = ws_now_ns ();
}

static void
on_wrote_body_data (SoupServerMessage *msg,
                    guint              size,
                    WsHttpRequest     *r)
{
  r->sent += size;
  step (r->session);
}

static void
log_request (WsHttpSession     *self,
             SoupServerMessage *msg,
             WsHttpRequest     *r)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = uri ? g_uri_get_query (uri) : NULL;
  g_autofree char *target = g_strconcat (uri ? g_uri_get_path (uri) : "?",
                                         query ? "?" : "", query ? query : "", NULL);
  g_autofree char *shown = ws_http_log_escape (target, LOG_TARGET_MAX);
  g_autofree char *method = ws_http_log_escape (soup_server_message_get_method (msg), 16);

  g_info ("%s: HTTP %s %s %u sent=%" G_GUINT64_FORMAT " received=%" G_GUINT64_FORMAT
          " ms=%" G_GINT64_FORMAT,
          self->peer, method, shown, soup_server_message_get_status (msg), r->sent, r->received,
          (ws_now_ns () - r->start_ns) / (WS_NSEC_PER_SEC / 1000));
}

static void
on_finished (SoupServerMessage *msg,
             WsHttpRequest     *r)
{
  WsHttpSession *self = r->session;

  if (r->finished)
    return;
  r->finished = TRUE;
  g_clear_pointer (&r->pace, _ws_http_source_drop);
  if (self->current == r)
    self->current = NULL;
  step (self);
  g_mutex_lock (&self->lock);
  self->totals.bytes_sent += r->sent;
  self->totals.bytes_received += r->received;
  self->n_requests++;
  g_mutex_unlock (&self->lock);
  log_request (self, msg, r);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    WsHttpSession     *self)
{
  WsHttpRequest *r = g_new0 (WsHttpRequest, 1);

  r->session = self;
  r->start_ns = ws_now_ns ();
  g_object_set_data_full (G_OBJECT (msg), "ws-http-request", r, request_free);
  /* No request body is ever kept, whoever sends one where. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), r);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), r);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), r);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), r);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), r);
}

/* ---- The connection's loop ---- */

/* libsoup 3.2 notices neither a peer that closes between requests nor,
 * for a connection kept alive, that it is gone: it stops reading and
 * leaves it open. A hang-up with no request running, and nothing new
 * since the last tick (a request sent with the hang-up is read first),
 * ends the connection. */
static gboolean
peer_hung_up (WsHttpSession *self,
              gint64         now)
{
  struct pollfd p = { g_socket_get_fd (self->socket), POLLRDHUP, 0 };

  if (self->current != NULL || now - self->last_step_ns < TICK_MS * (WS_NSEC_PER_SEC / 1000))
    return FALSE;
  return poll (&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static gboolean
tick (gpointer data)
{
  WsHttpSession *self = data;
  gint64 now = ws_now_ns ();
  guint max_duration_s = self->limits.max_duration_s;

  if (g_io_stream_is_closed (self->stream) || peer_hung_up (self, now))
    _ws_http_session_close (self, "closed");
  else if (now - self->last_step_ns > (gint64) self->limits.idle_timeout_s * WS_NSEC_PER_SEC)
    _ws_http_session_close (self, "idle timeout");
  else if (max_duration_s > 0 && self->current != NULL
           && now - self->current->start_ns > (gint64) max_duration_s * WS_NSEC_PER_SEC)
    _ws_http_session_close (self, "maximum duration");
  return G_SOURCE_CONTINUE;
}

/* From the thread that cancels: the loop sees the cancellable when it
 * wakes. (No GCancellableSource: GLib 2.74's can leak itself when the
 * cancel comes from another thread.) */
static void
on_cancelled (GCancellable *cancellable,
              gpointer      context)
{
  g_main_context_wakeup (context);
}

/* A listener that never accepts: SoupServer keeps connections alive only
 * while it has one. */
static gboolean
add_keepalive_listener (SoupServer  *server,
                        int          fds[2],
                        GError     **error)
{
  g_autoptr(GSocket) end = NULL;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (errno), g_strerror (errno));
      return FALSE;
    }
  end = g_socket_new_from_fd (fds[0], error);
  if (end == NULL)
    return FALSE;
  fds[0] = -1;  /* the GSocket's now */
  return soup_server_listen_socket (server, end, 0, error);
}

static void
run_loop (WsHttpSession *self,
          SoupServer    *server,
          GMainContext  *context,
          gint64         deadline_ns)
{
  g_autoptr(GSource) ticker = g_timeout_source_new (TICK_MS);
  gulong handler;

  g_source_set_callback (ticker, tick, self, NULL);
  g_source_attach (ticker, context);
  handler = g_cancellable_connect (self->cancellable, G_CALLBACK (on_cancelled), context, NULL);
  step (self);
  /* libsoup closes the stream after a last response: that ends it at once. */
  while (!self->done && !g_io_stream_is_closed (self->stream)
         && !g_cancellable_is_cancelled (self->cancellable)
         && (deadline_ns == 0 || ws_now_ns () < deadline_ns))
    g_main_context_iteration (context, TRUE);
  if (g_cancellable_is_cancelled (self->cancellable))
    _ws_http_session_close (self, "server stopping");
  g_cancellable_disconnect (self->cancellable, handler);
  g_source_destroy (ticker);
}

/* The connection, served until it closes or a limit ends it. */
static gboolean
serve (WsHttpSession  *self,
       GError        **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupServer) server = NULL;
  int fds[2] = { -1, -1 };
  gboolean ok;

  g_main_context_push_thread_default (context);
  server = soup_server_new ("server-header", "wirespeed/" PACKAGE_VERSION, NULL);
  if (self->refusal_status != 0)
    _ws_http_refusal_add (server, self->refusal_status, self->refusal_text);
  else
    _ws_http_endpoints_add (server, self);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), self);
  ok = add_keepalive_listener (server, fds, error)
       && soup_server_accept_iostream (server, self->stream, self->local, self->remote, error);
  if (ok)
    run_loop (self, server, context,
              self->refusal_status != 0 ? ws_now_ns () + REFUSAL_NS : 0);
  /* Ended by us (a limit, the server's stop) in the middle of a TLS
   * response to a client that does not read: the close's close_notify
   * would block until it does. Our side shut, it fails at once. */
  if (G_IS_TLS_CONNECTION (self->stream) && !g_io_stream_is_closed (self->stream))
    g_socket_shutdown (self->socket, FALSE, TRUE, NULL);
  soup_server_disconnect (server);
  g_io_stream_close (self->stream, NULL, NULL);
  /* A FIN behind the last response, and what the client still sends
   * read, so that the close is no reset that could destroy the response
   * (a body longer than announced, an unread request). */
  if (!G_IS_TLS_CONNECTION (self->stream) && !g_socket_is_closed (self->socket)
      && !g_cancellable_is_cancelled (self->cancellable))
    ws_io_linger_close (self->socket, LINGER_NS);
  g_clear_object (&server);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (ok && g_cancellable_is_cancelled (self->cancellable))
    ok = !g_cancellable_set_error_if_cancelled (self->cancellable, error);
  return ok;
}

/* ---- WsServerSession ---- */

static gboolean
ws_http_session_negotiate (WsServerSession  *session,
                           GError          **error)
{
  return TRUE;
}

static gboolean
ws_http_session_run (WsServerSession  *session,
                     GError          **error)
{
  return serve (WS_HTTP_SESSION (session), error);
}

static gboolean
ws_http_session_attach (WsServerSession         *session,
                        const WsDataConnection  *data,
                        GError                 **error)
{
  g_set_error_literal (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_SESSION,
                       "An HTTP connection has no data connections");
  return FALSE;
}

static void
ws_http_session_abort (WsServerSession *session)
{
  g_cancellable_cancel (WS_HTTP_SESSION (session)->cancellable);
}

static gboolean
ws_http_session_match (WsServerSession    *session,
                       const WsSessionKey *key)
{
  return FALSE;
}

static void
ws_http_session_get_totals (WsServerSession *session,
                            WsSessionTotals *totals)
{
  WsHttpSession *self = WS_HTTP_SESSION (session);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  *totals = self->totals;
}

/**
 * ws_http_session_refuse_with:
 *
 * Answers every request of the connection with @status and @text (503
 * when busy, 403 for plaintext at a server that requires TLS), for a
 * short while, then closes it. It runs on the connection's thread and
 * holds no slot.
 */
void
ws_http_session_refuse_with (WsHttpSession *self,
                             guint          status,
                             const char    *text)
{
  g_autoptr(GError) error = NULL;

  self->refusal_status = status;
  g_free (self->refusal_text);
  self->refusal_text = g_strdup (text);
  if (!serve (self, &error))
    g_info ("%s: HTTP refusal not sent: %s", self->peer, error->message);
}

static void
ws_http_session_refuse (WsServerSession *session,
                        WsClaim          claim,
                        guint            limit)
{
  WsHttpSession *self = WS_HTTP_SESSION (session);
  g_autofree char *text = ws_server_session_busy_text (claim, limit);

  g_info ("%s: HTTP refused, busy (%u sessions%s)", self->peer, limit,
          claim == WS_CLAIM_BUSY ? "" : " from this address");
  ws_http_session_refuse_with (self, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
}

static char *
ws_http_session_describe_outcome (WsServerSession *session,
                                  const GError    *error)
{
  WsHttpSession *self = WS_HTTP_SESSION (session);

  if (error != NULL)
    return g_strdup_printf ("HTTP connection failed after %u requests: %s",
                            self->n_requests, error->message);
  return g_strdup_printf ("HTTP connection ended after %u requests (%s)", self->n_requests,
                          self->close_reason ? self->close_reason : "closed");
}

static void
ws_http_session_server_session_init (WsServerSessionInterface *iface)
{
  iface->negotiate = ws_http_session_negotiate;
  iface->run = ws_http_session_run;
  iface->attach = ws_http_session_attach;
  iface->abort = ws_http_session_abort;
  iface->match = ws_http_session_match;
  iface->get_totals = ws_http_session_get_totals;
  iface->refuse = ws_http_session_refuse;
  iface->describe_outcome = ws_http_session_describe_outcome;
}
