/* ws-server.c — the Wirespeed server: accept, dispatch, sessions
 *
 * One accept thread; one thread per connection until it knows what the
 * connection is (a v1 test, a v2 control connection, or a v2 data connection
 * that it hands to its session by cookie). Connections that have not yet said
 * who they are are capped, every read has the idle timeout as its deadline,
 * and a session that fails takes only itself down.
 *
 * Texts for the operator (errors of ws_server_start, the start-up line)
 * are translated. The --verbose log (g_info) stays English, as logs are
 * grepped and quoted in bug reports; so do the ERROR texts sent to clients,
 * because the server cannot know the remote user's language (the client
 * says its own words for the codes it knows).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-address.h"
#include "ws-io.h"
#include "ws-iperf3-session.h"
#include "ws-legacy-session.h"
#include "ws-protocol.h"
#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-server.h"
#include "ws-session.h"
#include "ws-time.h"

/* Connections that have not yet been identified; beyond this, new ones are
 * closed at once so a flood of silent sockets cannot exhaust threads. */
#define MAX_PENDING_CONNECTIONS 256
/* A denied peer at a server with a certificate may be told so inside TLS,
 * which costs a handshake: at most this many at once, each within a short
 * deadline; beyond them a denied peer gets the plaintext ERROR at accept. */
#define MAX_DENIED_HANDSHAKES 4
#define DENIED_HANDSHAKE_NS (3 * WS_NSEC_PER_SEC)

struct _WsServer {
  GObject parent_instance;

  guint16 port;
  char *bind_address;
  guint max_clients;
  guint idle_timeout_s;
  GTlsCertificate *tls_certificate; /* NULL: plaintext only */
  gboolean allow_plaintext;         /* with a certificate: serve plaintext too */
  WsAuth *auth;                     /* NULL: no authentication */
  WsAcl *acl;             /* NULL: everybody; read-only once started */
  guint max_per_address;  /* 0: no limit */
  guint max_pending_per_address;
  guint max_duration_s;   /* 0: no limit */
  guint64 max_bitrate;    /* 0: no limit */

  GSocket *listener;
  GThread *accept_thread;
  int udp_fd;             /* datagrams of streams not yet connected */
  GThread *udp_thread;
  GCancellable *cancellable;

  GMutex lock;
  GCond cond;
  GPtrArray *connections; /* GCancellable per connection thread */
  GPtrArray *sessions;    /* WsSession, v2 sessions with a cookie */
  GPtrArray *iperf3_sessions; /* WsIperf3Session, found by cookie or address */
  guint n_sessions;       /* v1 and v2 sessions running */
  guint n_denying;        /* denied connections being told in a thread */
  GHashTable *per_address; /* unmapped address string → sessions running */
  GHashTable *pending_per_address; /* the same → connections not yet admitted */
  guint64 n_accepted;
  gboolean stopping;
  WsServerStats stats;

  GMainContext *context;  /* where n-sessions is notified: ws_server_start()'s */
  gboolean notify_queued; /* an idle there will notify n-sessions (under the lock) */
};

enum {
  PROP_0,
  PROP_N_SESSIONS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (WsServer, ws_server, G_TYPE_OBJECT)

typedef struct {
  WsServer *server;
  GSocket *socket;
  WsChannel *channel;  /* the socket as a control connection, maybe TLS */
  GCancellable *cancellable;
  char *peer;
  char *address;          /* the peer's address, IPv4-mapped ones as IPv4 */
  guint64 seq;         /* accept order: iperf3 streams are told apart by it */
  gboolean pending;    /* counted in pending_per_address (under the lock) */
  gboolean denied;     /* by the ACL: only to be told so (n_denying) */
} Connection;

static void
ws_server_finalize (GObject *object)
{
  WsServer *self = WS_SERVER (object);

  ws_server_stop (self);
  g_free (self->bind_address);
  g_clear_object (&self->tls_certificate);
  g_clear_pointer (&self->auth, ws_auth_unref);
  g_clear_pointer (&self->acl, ws_acl_unref);
  g_hash_table_unref (self->per_address);
  g_hash_table_unref (self->pending_per_address);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->connections);
  g_ptr_array_unref (self->sessions);
  g_ptr_array_unref (self->iperf3_sessions);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (ws_server_parent_class)->finalize (object);
}

static void
ws_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WsServer *self = WS_SERVER (object);

  switch (prop_id)
    {
    case PROP_N_SESSIONS:
      g_value_set_uint (value, ws_server_get_n_sessions (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_server_class_init (WsServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ws_server_finalize;
  object_class->get_property = ws_server_get_property;

  /**
   * WsServer:n-sessions:
   *
   * Tests running now. Notified on the main context that was the thread's
   * default when ws_server_start() ran, never on a session thread, so a
   * face can bind it to a label without polling.
   */
  props[PROP_N_SESSIONS] =
    g_param_spec_uint ("n-sessions", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static gboolean
notify_n_sessions (gpointer data)
{
  g_autoptr(WsServer) self = g_weak_ref_get (data);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&self->lock);
  self->notify_queued = FALSE;
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_SESSIONS]);
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Called with the lock held whenever n_sessions changes; several changes
 * before the main context wakes make one notification. */
static void
queue_notify_locked (WsServer *self)
{
  g_autoptr(GSource) source = NULL;
  GWeakRef *ref;

  if (self->context == NULL || self->notify_queued)
    return;
  self->notify_queued = TRUE;
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  source = g_idle_source_new ();
  g_source_set_callback (source, notify_n_sessions, ref, weak_ref_free);
  g_source_set_static_name (source, "[wirespeed] notify n-sessions");
  g_source_attach (source, self->context);
}

static void
ws_server_init (WsServer *self)
{
  self->port = WS_DEFAULT_PORT;
  self->max_clients = WS_DEFAULT_MAX_CLIENTS;
  self->idle_timeout_s = WS_DEFAULT_IDLE_TIMEOUT_S;
  self->udp_fd = -1;
  self->connections = g_ptr_array_new ();
  self->sessions = g_ptr_array_new ();
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending_per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_pending_per_address = WS_DEFAULT_MAX_PENDING_PER_ADDRESS;
  self->iperf3_sessions = g_ptr_array_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

WsServer *
ws_server_new (void)
{
  return g_object_new (WS_TYPE_SERVER, NULL);
}

void
ws_server_set_port (WsServer *self,
                    guint16   port)
{
  self->port = port;
}

void
ws_server_set_bind_address (WsServer   *self,
                            const char *address)
{
  g_free (self->bind_address);
  self->bind_address = g_strdup (address);
}

void
ws_server_set_max_clients (WsServer *self,
                           guint     max_clients)
{
  self->max_clients = MAX (max_clients, 1);
}

/* With a certificate, control connections that start with a TLS handshake
 * get TLS; plaintext ones are refused unless @allow_plaintext. */
void
ws_server_set_tls (WsServer        *self,
                   GTlsCertificate *certificate,
                   gboolean         allow_plaintext)
{
  g_set_object (&self->tls_certificate, certificate);
  self->allow_plaintext = allow_plaintext;
}

void
ws_server_set_auth (WsServer *self,
                    WsAuth   *auth)
{
  g_clear_pointer (&self->auth, ws_auth_unref);
  if (auth != NULL)
    self->auth = ws_auth_ref (auth);
}

void
ws_server_set_idle_timeout (WsServer *self,
                            guint     seconds)
{
  self->idle_timeout_s = MAX (seconds, 1);
}

/* Before ws_server_start(): the accept and UDP threads read it unlocked. */
void
ws_server_set_acl (WsServer *self,
                   WsAcl    *acl)
{
  g_return_if_fail (self->listener == NULL);
  g_clear_pointer (&self->acl, ws_acl_unref);
  self->acl = acl ? ws_acl_ref (acl) : NULL;
}

/* Sessions one peer address may run at once; 0 = no limit. */
void
ws_server_set_max_per_address (WsServer *self,
                               guint     max_sessions)
{
  self->max_per_address = max_sessions;
}

/* Connections one address may hold before they are admitted to a test
 * (or, for data connections, handed to theirs); more are closed at
 * accept, so that one host cannot take every slot. */
void
ws_server_set_max_pending_per_address (WsServer *self,
                                       guint     max_connections)
{
  self->max_pending_per_address = MAX (max_connections, 1);
}

/* Longer requests are granted this many seconds; 0 = no limit. */
void
ws_server_set_max_duration (WsServer *self,
                            guint     seconds)
{
  self->max_duration_s = seconds;
}

/* The most a UDP_STREAM test may send, all its streams together; faster
 * requests are slowed to it. 0 = no limit. */
void
ws_server_set_max_bitrate (WsServer *self,
                           guint64   bits_per_second)
{
  self->max_bitrate = bits_per_second;
}

static GSocket *
listen_on (GInetAddress  *address,
           guint16        port,
           GError       **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) sa = NULL;
  GSocketFamily family = g_inet_address_get_family (address);

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  /* An IPv6 wildcard also serves IPv4 clients, whatever the sysctl says. */
  if (family == G_SOCKET_FAMILY_IPV6 && g_inet_address_get_is_any (address))
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 0, NULL);
  sa = g_inet_socket_address_new (address, port);
  g_socket_set_listen_backlog (socket, 128);
  if (!g_socket_bind (socket, sa, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static GSocket *
open_listener (WsServer  *self,
               GError   **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GError) v6_error = NULL;
  GSocket *socket;

  if (self->bind_address != NULL)
    {
      address = g_inet_address_new_from_string (self->bind_address);
      if (address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not an IPv4 or IPv6 address"), self->bind_address);
          return NULL;
        }
      return listen_on (address, self->port, error);
    }

  address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  socket = listen_on (address, self->port, &v6_error);
  if (socket != NULL || g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      if (v6_error)
        g_propagate_error (error, g_steal_pointer (&v6_error));
      return socket;
    }
  /* No IPv6 on this machine: IPv4 only. */
  g_clear_object (&address);
  address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  return listen_on (address, self->port, error);
}

static char *
describe_peer (GSocket *socket)
{
  g_autoptr(GSocketAddress) sa = g_socket_get_remote_address (socket, NULL);
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return g_strdup ("unknown peer");
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)));
}

/* Where a session's control connection comes from (a GInetAddress), kept
 * on the session: its UDP streams must come from the same host. */
#define PEER_ADDRESS_KEY "ws-peer-address"

static GInetAddress *
remote_host (GSocket *socket)
{
  g_autoptr(GSocketAddress) sa = g_socket_get_remote_address (socket, NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return NULL;
  return g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
}

/* Under the lock: @conn no longer counts against its address's pending
 * connections. */
static void
forget_pending_locked (WsServer   *self,
                       Connection *conn)
{
  guint mine;

  if (!conn->pending)
    return;
  conn->pending = FALSE;
  mine = GPOINTER_TO_UINT (g_hash_table_lookup (self->pending_per_address, conn->address));
  if (mine > 1)
    g_hash_table_replace (self->pending_per_address, g_strdup (conn->address),
                          GUINT_TO_POINTER (mine - 1));
  else
    g_hash_table_remove (self->pending_per_address, conn->address);
}

typedef enum {
  CLAIM_OK,
  CLAIM_BUSY,         /* the server runs max_clients sessions */
  CLAIM_ADDRESS_BUSY, /* the peer's address runs max_per_address */
} Claim;

/* Claims a session slot for @conn's address; admitted, the connection
 * is no longer pending. */
static Claim
claim_session (WsServer   *self,
               Connection *conn)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  const char *address = conn->address;
  guint mine = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  if (self->n_sessions >= self->max_clients || self->stopping)
    {
      self->stats.connections_rejected++;
      return CLAIM_BUSY;
    }
  if (self->max_per_address > 0 && mine >= self->max_per_address)
    {
      self->stats.connections_rejected++;
      return CLAIM_ADDRESS_BUSY;
    }
  self->n_sessions++;
  queue_notify_locked (self);
  g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (mine + 1));
  forget_pending_locked (self, conn);
  return CLAIM_OK;
}

/* Busy for everybody or for this address: ERROR BUSY either way (the
 * client should try again later), its value the limit that was hit and
 * its text saying which. */
static void
refuse_session (Connection *conn,
                Claim       claim)
{
  WsServer *self = conn->server;
  guint limit = claim == CLAIM_BUSY ? self->max_clients : self->max_per_address;
  g_autofree char *text = NULL;

  /* English on the wire (see the top): no ngettext, whole sentences. */
  if (claim == CLAIM_BUSY)
    text = limit == 1 ? g_strdup ("The server is busy: it already runs 1 test")
                      : g_strdup_printf ("The server is busy: it already runs %u tests", limit);
  else
    text = limit == 1 ? g_strdup ("The server is busy: this address already runs 1 test, "
                                  "the most one address may run")
                      : g_strdup_printf ("The server is busy: this address already runs %u tests, "
                                         "the most one address may run", limit);
  ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_BUSY, MIN (limit, G_MAXUINT16), text);
  g_info ("%s: refused, busy (%u sessions%s)", conn->peer, limit,
          claim == CLAIM_BUSY ? "" : " from this address");
}

static void
release_session (WsServer   *self,
                 const char *address,
                 WsSession  *session,
                 gboolean    ok)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  guint mine = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  if (mine > 1)
    g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (mine - 1));
  else
    g_hash_table_remove (self->per_address, address);

  if (session != NULL)
    {
      WsSessionTotals totals;

      g_ptr_array_remove (self->sessions, session);
      ws_session_get_totals (session, &totals);
      self->stats.bytes_received += totals.bytes_received;
      self->stats.bytes_sent += totals.bytes_sent;
    }
  if (ok)
    self->stats.sessions_completed++;
  else
    self->stats.sessions_failed++;
  self->n_sessions--;
  queue_notify_locked (self);
}

static void
run_v2_session (Connection *conn,
                const WsHello *hello)
{
  WsServer *self = conn->server;
  g_autoptr(WsSession) session = NULL;
  g_autoptr(GError) error = NULL;
  GInetAddress *address;
  Claim claim;
  gboolean ok;

  /* The connection's cancellable: the server's stop reaches the session
   * even before it is registered. */
  session = ws_session_new (conn->channel, conn->peer, self->idle_timeout_s, conn->cancellable);
  address = remote_host (conn->socket);
  if (address != NULL)
    g_object_set_data_full (G_OBJECT (session), PEER_ADDRESS_KEY, address, g_object_unref);
  ws_session_set_auth (session, self->auth);
  ws_session_set_limits (session, self->max_duration_s, self->max_bitrate);
  /* With keys, a slot only for who has one (see ws_session_greet()). */
  if (self->auth != NULL && !ws_session_greet (session, hello, &error))
    {
      g_info ("%s: dropped: %s", conn->peer, error->message);
      return;
    }
  claim = claim_session (self, conn);
  if (claim != CLAIM_OK)
    {
      refuse_session (conn, claim);
      return;
    }
  ok = ws_session_negotiate (session, hello, &error);
  if (ok)
    {
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->sessions, session);
      if (self->stopping)
        ws_session_abort (session);
      g_mutex_unlock (&self->lock);
      g_info ("%s: session started", conn->peer);
      ok = ws_session_run (session, &error);
    }
  release_session (self, conn->address, session, ok);
  if (ok)
    g_info ("%s: session finished", conn->peer);
  else
    g_info ("%s: session aborted: %s", conn->peer, error->message);
}

static void
run_v1_session (Connection *conn,
                const WsV1Request *request)
{
  WsServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  Claim claim = claim_session (self, conn);
  guint64 packets = 0;
  gboolean ok;

  if (claim != CLAIM_OK)
    {
      /* Version 1 has no way to say "busy": an ERROR frame at least tells a
       * person with a packet capture, then the connection closes. */
      refuse_session (conn, claim);
      return;
    }
  g_info ("%s: version 1 session started", conn->peer);
  ok = ws_legacy_session_run (conn->socket, request->test_type, self->idle_timeout_s,
                              conn->cancellable, &packets, &error);
  g_mutex_lock (&self->lock);
  self->stats.legacy_udp_packets += packets;
  g_mutex_unlock (&self->lock);
  release_session (self, conn->address, NULL, ok);
  if (ok)
    g_info ("%s: version 1 session finished, %" G_GUINT64_FORMAT " UDP packets", conn->peer, packets);
  else
    g_info ("%s: version 1 session aborted: %s", conn->peer, error->message);
}

/* Returns: (transfer full) (nullable): the session with @cookie. */
static WsSession *
find_session (WsServer     *self,
              const guint8 *cookie)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  for (guint i = 0; i < self->sessions->len; i++)
    {
      WsSession *s = g_ptr_array_index (self->sessions, i);
      if (memcmp (ws_session_get_cookie (s), cookie, WS_COOKIE_SIZE) == 0)
        return g_object_ref (s);
    }
  return NULL;
}

static void
attach_stream (Connection          *conn,
               const WsStreamHello *hello)
{
  g_autoptr(WsSession) session = find_session (conn->server, hello->cookie);
  g_autoptr(GError) error = NULL;

  if (session == NULL)
    {
      ws_io_send_error (conn->socket, WS_PROTOCOL_ERROR_UNKNOWN_SESSION, 0,
                        "No test with this cookie");
      g_info ("%s: data connection with an unknown cookie", conn->peer);
      return;
    }
  if (!ws_session_attach_stream (session, conn->socket, hello, &error))
    {
      ws_io_send_error (conn->socket, error->code, 0, error->message);
      g_info ("%s: data connection refused: %s", conn->peer, error->message);
    }
}

/* The first byte tells a TLS ClientHello (a handshake record, 0x16) from
 * our own messages, which start with a version byte of 1 or 2. */
#define TLS_HANDSHAKE_RECORD 0x16

static int
peek_first_byte (Connection  *conn,
                 gint64       deadline,
                 GError     **error)
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
start_tls (Connection  *conn,
           gint64       deadline,
           GError     **error)
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
refuse_plaintext (Connection *conn)
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
refuse_without_auth (Connection *conn)
{
  if (conn->server->auth == NULL)
    return FALSE;
  ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_AUTH_FAILED, 0,
                         "This server requires authentication, which protocol version 1 cannot do");
  g_info ("%s: refused: version 1 at a server that requires keys", conn->peer);
  return TRUE;
}

static void
dispatch_message (Connection *conn,
                  WsMessage  *msg)
{
  gboolean tls = ws_channel_is_tls (conn->channel);

  if (msg->version == WS_PROTOCOL_V1 && msg->type == WS_V1_TEST_REQUEST && !tls)
    {
      if (!refuse_plaintext (conn) && !refuse_without_auth (conn))
        run_v1_session (conn, &msg->u.v1_request);
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

/* Returns: (transfer full) (nullable): the iperf3 session with @cookie. */
static WsIperf3Session *
find_iperf3_session (WsServer     *self,
                     const guint8 *cookie)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  for (guint i = 0; i < self->iperf3_sessions->len; i++)
    {
      WsIperf3Session *s = g_ptr_array_index (self->iperf3_sessions, i);
      if (memcmp (ws_iperf3_session_get_cookie (s), cookie, WS_IPERF3_COOKIE_SIZE) == 0)
        return ws_iperf3_session_ref (s);
    }
  return NULL;
}

static void
run_iperf3_session (Connection   *conn,
                    const guint8 *cookie)
{
  WsServer *self = conn->server;
  g_autoptr(WsIperf3Session) session = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  /* iperf3 cannot prove who it is to us, nor speak TLS. */
  if (self->auth != NULL || (self->tls_certificate != NULL && !self->allow_plaintext))
    {
      ws_iperf3_refuse (conn->socket, WS_IPERF3_SERVER_ERROR, WS_IPERF3_IE_AUTHTEST);
      g_info ("%s: iperf3 client refused: this server requires %s", conn->peer,
              self->auth != NULL ? "authentication" : "TLS");
      return;
    }
  if (claim_session (self, conn) != CLAIM_OK)
    {
      ws_iperf3_refuse (conn->socket, WS_IPERF3_ACCESS_DENIED, 0);
      g_info ("%s: iperf3 client refused: busy", conn->peer);
      return;
    }
  session = ws_iperf3_session_new (conn->socket, conn->peer, cookie,
                                   self->idle_timeout_s, conn->cancellable);
  ok = ws_iperf3_session_negotiate (session, &error);
  if (ok)
    {
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->iperf3_sessions, session);
      if (self->stopping)
        ws_iperf3_session_abort (session);
      g_mutex_unlock (&self->lock);
      ok = ws_iperf3_session_run (session, &error);
      g_mutex_lock (&self->lock);
      g_ptr_array_remove (self->iperf3_sessions, session);
      g_mutex_unlock (&self->lock);
    }
  {
    guint64 sent, received;

    ws_iperf3_session_get_totals (session, &sent, &received);
    g_mutex_lock (&self->lock);
    self->stats.bytes_sent += sent;
    self->stats.bytes_received += received;
    g_mutex_unlock (&self->lock);
  }
  release_session (self, conn->address, NULL, ok);
  if (ok)
    g_info ("%s: iperf3 test finished", conn->peer);
  else
    g_info ("%s: iperf3 test aborted: %s", conn->peer, error->message);
}

/* The 37-byte cookie of an iperf3 client: a data connection of a running
 * iperf3 test, or a new test's control connection. */
static void
dispatch_iperf3 (Connection *conn,
                 gint64      deadline)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsIperf3Session) session = NULL;
  guint8 cookie[WS_IPERF3_COOKIE_SIZE];

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
  session = find_iperf3_session (conn->server, cookie);
  if (session == NULL)
    run_iperf3_session (conn, cookie);
  else if (!ws_iperf3_session_attach (session, conn->socket, FALSE, conn->seq, &error))
    g_info ("%s: iperf3 data connection refused: %s", conn->peer, error->message);
}

/* A denied peer that starts a TLS handshake gets its ERROR inside TLS,
 * where its client can read it; anything else gets it in plaintext. What
 * the peer sent is read before the close, so that the close is a FIN
 * behind the ERROR and not a reset that could destroy it. */
static void
tell_denied (Connection *conn)
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
  ws_channel_send_error (conn->channel, WS_PROTOCOL_ERROR_ACCESS_DENIED, 0, "Access denied");
  if (first >= 0)
    ws_channel_read_message (conn->channel, &msg, deadline, conn->cancellable, NULL);
  g_info ("%s: access denied%s", conn->peer, ws_channel_is_tls (conn->channel) ? " (in TLS)" : "");
}

static void
dispatch (Connection *conn)
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

static gpointer
connection_thread (gpointer data)
{
  Connection *conn = data;
  WsServer *self = conn->server;

  dispatch (conn);

  /* No reference on the server: ws_server_stop(), which finalize calls,
   * waits for this list to empty, and we touch nothing of it after. */
  g_mutex_lock (&self->lock);
  forget_pending_locked (self, conn);
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

/* Returns: (transfer full) (nullable): the peer's address, an IPv4-mapped
 * one as the IPv4 address it is. */
static GInetAddress *
peer_address (GSocket *socket)
{
  g_autoptr(GSocketAddress) sa = g_socket_get_remote_address (socket, NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return NULL;
  return ws_address_unmap (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
}

/* Refuses a peer the ACL does not allow: one ERROR written without waiting
 * (a new socket's send buffer has room for it, and the accept thread must
 * never block on a peer), then close. Whatever the peer sent already is
 * discarded unread, so that the close is a FIN behind the ERROR and not a
 * reset, which could destroy it before the peer reads it. */
static void
deny_connection (WsServer     *self,
                 GSocket      *socket,
                 GInetAddress *address)
{
  g_autofree char *ip = g_inet_address_to_string (address);
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;
  gsize n;

  /* Counted first: whoever sees the close may look at the stats. */
  g_mutex_lock (&self->lock);
  self->stats.connections_denied++;
  g_mutex_unlock (&self->lock);
  ws_message_init_error (&msg, WS_PROTOCOL_ERROR_ACCESS_DENIED, 0, "Access denied");
  n = ws_message_encode (&msg, buf, sizeof buf);
  g_socket_set_blocking (socket, FALSE);
  g_socket_send (socket, (const char *) buf, n, NULL, NULL);
  g_socket_receive (socket, (char *) buf, sizeof buf, NULL, NULL);
  g_socket_close (socket, NULL);
  g_info ("[%s]: access denied", ip);
}

static void
spawn_connection (WsServer *self,
                  GSocket  *socket)
{
  g_autoptr(GInetAddress) address = peer_address (socket);
  g_autofree char *ip = NULL;
  Connection *conn;
  GThread *thread;
  gboolean denied;
  guint pending;

  /* A peer already gone has no address: nothing to serve. */
  if (address == NULL)
    {
      g_socket_close (socket, NULL);
      return;
    }
  denied = !ws_acl_allows (self->acl, address);

  g_mutex_lock (&self->lock);
  /* Without a certificate, or past the few handshakes allowed for telling
   * denied peers inside TLS: no thread and no read for a refused peer. */
  if (denied && (self->tls_certificate == NULL || self->n_denying >= MAX_DENIED_HANDSHAKES
                 || self->stopping))
    {
      g_mutex_unlock (&self->lock);
      deny_connection (self, socket, address);
      return;
    }
  ip = g_inet_address_to_string (address);
  pending = GPOINTER_TO_UINT (g_hash_table_lookup (self->pending_per_address, ip));
  if (!denied
      && (self->connections->len >= MAX_PENDING_CONNECTIONS + 2 * self->max_clients
          || pending >= self->max_pending_per_address || self->stopping))
    {
      self->stats.connections_rejected++;
      g_mutex_unlock (&self->lock);
      g_socket_close (socket, NULL);
      return;
    }
  conn = g_new0 (Connection, 1);
  if (denied)
    {
      self->n_denying++;
      self->stats.connections_denied++;
      conn->denied = TRUE;
    }
  else
    {
      g_hash_table_replace (self->pending_per_address, g_strdup (ip),
                            GUINT_TO_POINTER (pending + 1));
      conn->pending = TRUE;
    }
  conn->server = self;
  conn->socket = g_object_ref (socket);
  conn->channel = ws_channel_new (socket);
  conn->cancellable = g_cancellable_new ();
  conn->peer = describe_peer (socket);
  conn->address = g_steal_pointer (&ip);
  conn->seq = self->n_accepted++;
  g_ptr_array_add (self->connections, conn->cancellable);
  g_mutex_unlock (&self->lock);

  g_socket_set_blocking (socket, FALSE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  thread = g_thread_try_new ("ws-connection", connection_thread, conn, NULL);
  if (thread != NULL)
    g_thread_unref (thread);
  else
    connection_thread (conn);
}

static gpointer
accept_thread (gpointer data)
{
  WsServer *self = data;

  while (!g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_accept (self->listener, self->cancellable, &error);

      if (socket != NULL)
        spawn_connection (self, socket);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* EMFILE and friends: back off instead of spinning. */
          g_info ("accept failed: %s", error->message);
          g_usleep (G_USEC_PER_SEC / 10);
        }
    }
  return NULL;
}

/* A UDP socket on the listener's address and port. SO_REUSEADDR lets each
 * UDP stream have a socket of its own on the same port, connected to its
 * client: the kernel delivers a datagram to the connected socket that
 * matches its source before the unconnected one (iperf3 does the same). */
static int
open_udp (GSocketAddress  *local,
          const struct sockaddr *peer,
          socklen_t        peer_len,
          GError         **error)
{
  struct sockaddr_storage ss;
  int one = 1, zero = 0;
  int fd;

  if (!g_socket_address_to_native (local, &ss, sizeof ss, error))
    return -1;
  fd = socket (ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto fail;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind (fd, (struct sockaddr *) &ss, g_socket_address_get_native_size (local)) < 0
      || (peer != NULL && connect (fd, peer, peer_len) < 0))
    goto fail;
  return fd;

fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
               _("Cannot open the UDP port: %s"), g_strerror (errno));
  if (fd >= 0)
    close (fd);
  return -1;
}

/* A STREAM_HELLO datagram: give the stream a connected socket of its own,
 * acknowledge from it, and hand it to its session. */
static void
accept_udp_stream (WsServer              *self,
                   const WsStreamHello   *hello,
                   const struct sockaddr *peer,
                   socklen_t              peer_len)
{
  g_autoptr(WsSession) session = find_session (self, hello->cookie);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (self->listener, NULL);
  g_autoptr(GSocketAddress) from = g_socket_address_new_from_native ((gpointer) peer, peer_len);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  GInetAddress *control_host;
  guint8 ack[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;
  int fd;

  if (session == NULL || local == NULL)
    return;
  /* The stream will send where its hello came from: only to the host of
   * the test's control connection, or one spoofed datagram would aim the
   * server's traffic at a third party. */
  control_host = g_object_get_data (G_OBJECT (session), PEER_ADDRESS_KEY);
  if (control_host == NULL || !G_IS_INET_SOCKET_ADDRESS (from)
      || !g_inet_address_equal (control_host,
                                g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from))))
    {
      g_info ("UDP stream %u: hello from another host than the test's, dropped", hello->stream_id);
      return;
    }
  fd = open_udp (local, peer, peer_len, &error);
  if (fd < 0 || (socket = g_socket_new_from_fd (fd, &error)) == NULL)
    {
      g_info ("UDP stream %u: %s", hello->stream_id, error->message);
      if (fd >= 0)
        close (fd);
      return;
    }
  if (!ws_session_attach_stream (session, socket, hello, &error))
    {
      /* A repeated hello that raced its own socket lands here: harmless. */
      g_info ("UDP stream %u refused: %s", hello->stream_id, error->message);
      return;
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_STREAM_ACK);
  msg.u.stream_hello = *hello;
  send (fd, ack, ws_message_encode (&msg, ack, sizeof ack), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* A STREAM_HELLO from a peer the ACL does not allow is dropped like junk:
 * no socket, no STREAM_ACK. */
static gboolean
udp_peer_allowed (WsServer              *self,
                  const struct sockaddr *peer,
                  socklen_t              peer_len)
{
  g_autoptr(GSocketAddress) sa = NULL;
  gboolean allowed;

  if (self->acl == NULL)
    return TRUE;
  sa = g_socket_address_new_from_native ((gpointer) peer, peer_len);
  allowed = G_IS_INET_SOCKET_ADDRESS (sa)
            && ws_acl_allows (self->acl, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  if (!allowed)
    {
      g_mutex_lock (&self->lock);
      self->stats.connections_denied++;
      g_mutex_unlock (&self->lock);
    }
  return allowed;
}

/* An iperf3 UDP stream says only "connect" (four bytes): it belongs to the
 * iperf3 test waiting for UDP streams from the same address. */
static void
accept_iperf3_udp (WsServer              *self,
                   int                    kind,
                   gboolean               swapped,
                   const struct sockaddr *peer,
                   socklen_t              peer_len)
{
  g_autoptr(GSocketAddress) from = g_socket_address_new_from_native ((gpointer) peer, peer_len);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (self->listener, NULL);
  g_autoptr(WsIperf3Session) session = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  guint8 reply[4];
  int fd;

  if (!G_IS_INET_SOCKET_ADDRESS (from) || local == NULL)
    return;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->iperf3_sessions->len && session == NULL; i++)
    {
      WsIperf3Session *s = g_ptr_array_index (self->iperf3_sessions, i);
      if (ws_iperf3_session_wants_udp (s, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from))))
        session = ws_iperf3_session_ref (s);
    }
  g_mutex_unlock (&self->lock);
  if (session == NULL)
    return;
  fd = open_udp (local, peer, peer_len, &error);
  if (fd < 0 || (socket = g_socket_new_from_fd (fd, &error)) == NULL)
    {
      g_info ("iperf3 UDP stream: %s", error->message);
      if (fd >= 0)
        close (fd);
      return;
    }
  /* The client waits for our reply before its next stream: arrival order. */
  if (!ws_iperf3_session_attach (session, socket, TRUE, 0, &error))
    {
      g_info ("iperf3 UDP stream refused: %s", error->message);
      return;
    }
  ws_iperf3_udp_connect_reply (kind, swapped, reply);
  send (fd, reply, sizeof reply, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static gpointer
udp_thread (gpointer data)
{
  WsServer *self = data;
  guint8 buf[2048];

  while (!g_cancellable_is_cancelled (self->cancellable))
    {
      struct pollfd pfd = { self->udp_fd, POLLIN, 0 };
      struct sockaddr_storage peer;
      socklen_t peer_len = sizeof peer;
      WsMessage msg;
      gboolean swapped;
      int kind;
      ssize_t n;

      if (poll (&pfd, 1, 200) <= 0)
        continue;
      n = recvfrom (self->udp_fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &peer, &peer_len);
      /* Anything but a well-formed STREAM_HELLO is junk: drop it silently,
       * answering junk would make us a reflector. */
      if (n > 0 && ws_message_decode (buf, n, &msg, NULL, NULL)
          && msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_STREAM_HELLO
          && udp_peer_allowed (self, (struct sockaddr *) &peer, peer_len))
        accept_udp_stream (self, &msg.u.stream_hello, (struct sockaddr *) &peer, peer_len);
      else if (n > 0 && (kind = ws_iperf3_udp_connect_kind (buf, n, &swapped)) != 0
               && udp_peer_allowed (self, (struct sockaddr *) &peer, peer_len))
        accept_iperf3_udp (self, kind, swapped, (struct sockaddr *) &peer, peer_len);
    }
  return NULL;
}

static gboolean
start_udp (WsServer  *self,
           GError   **error)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (self->listener, error);

  if (local == NULL)
    return FALSE;
  self->udp_fd = open_udp (local, NULL, 0, error);
  if (self->udp_fd < 0)
    return FALSE;
  self->udp_thread = g_thread_try_new ("ws-udp", udp_thread, self, error);
  return self->udp_thread != NULL;
}

gboolean
ws_server_start (WsServer  *self,
                 GError   **error)
{
  g_return_val_if_fail (self->listener == NULL, FALSE);

  self->listener = open_listener (self, error);
  if (self->listener == NULL)
    return FALSE;
  g_socket_set_blocking (self->listener, TRUE);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->stopping = FALSE;
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  if (!start_udp (self, error))
    {
      g_prefix_error (error, _("UDP port %u: "), ws_server_get_port (self));
      if (self->udp_fd >= 0)
        close (g_steal_fd (&self->udp_fd));
      g_clear_object (&self->listener);
      return FALSE;
    }
  self->accept_thread = g_thread_try_new ("ws-accept", accept_thread, self, error);
  if (self->accept_thread == NULL)
    {
      g_clear_object (&self->listener);
      return FALSE;
    }
  return TRUE;
}

/**
 * ws_server_stop:
 *
 * Stops accepting, aborts every session and waits for every connection
 * thread to finish. Safe to call more than once.
 */
void
ws_server_stop (WsServer *self)
{
  if (self->listener == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_mutex_unlock (&self->lock);

  g_cancellable_cancel (self->cancellable);
  g_thread_join (g_steal_pointer (&self->accept_thread));
  g_thread_join (g_steal_pointer (&self->udp_thread));
  close (g_steal_fd (&self->udp_fd));
  g_socket_close (self->listener, NULL);
  g_clear_object (&self->listener);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->sessions->len; i++)
    ws_session_abort (g_ptr_array_index (self->sessions, i));
  for (guint i = 0; i < self->iperf3_sessions->len; i++)
    ws_iperf3_session_abort (g_ptr_array_index (self->iperf3_sessions, i));
  for (guint i = 0; i < self->connections->len; i++)
    g_cancellable_cancel (g_ptr_array_index (self->connections, i));
  while (self->connections->len > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

guint16
ws_server_get_port (WsServer *self)
{
  g_autoptr(GSocketAddress) sa = NULL;

  if (self->listener == NULL)
    return self->port;
  sa = g_socket_get_local_address (self->listener, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
}

/* "port 5201 on all IPv4 and IPv6 addresses", for the start-up line. */
char *
ws_server_describe_address (WsServer *self)
{
  g_autoptr(GSocketAddress) sa = NULL;
  GInetAddress *address;
  g_autofree char *ip = NULL;

  g_return_val_if_fail (self->listener != NULL, NULL);
  sa = g_socket_get_local_address (self->listener, NULL);
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
  if (g_inet_address_get_is_any (address))
    return g_strdup_printf (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6
                            ? _("port %u on all IPv4 and IPv6 addresses")
                            : _("port %u on all IPv4 addresses"),
                            ws_server_get_port (self));
  ip = g_inet_address_to_string (address);
  /* Translators: an IP address, then a port number. */
  return g_strdup_printf (_("%s port %u"), ip, ws_server_get_port (self));
}

guint
ws_server_get_n_sessions (WsServer *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->n_sessions;
}

void
ws_server_get_stats (WsServer      *self,
                     WsServerStats *stats)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  *stats = self->stats;
}
