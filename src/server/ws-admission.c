/* ws-admission.c — who may connect to the server and run a test
 *
 * At accept: the access list, the cap on connections that have not yet
 * said what they are (overall and per address). At a test's start: a
 * session slot, within --max-clients and --max-per-address. The accept
 * thread never blocks on a peer: a refused one is told without waiting
 * and closed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ws-address.h"
#include "ws-protocol.h"
#include "ws-server-private.h"

/* Connections that have not yet been identified; beyond this, new ones are
 * closed at once so a flood of silent sockets cannot exhaust threads. */
#define MAX_PENDING_CONNECTIONS 256
/* A denied peer at a server with a certificate may be told so inside TLS,
 * which costs a handshake: at most this many at once (ws-dispatch.c keeps
 * each within a short deadline); beyond them a denied peer gets the
 * plaintext ERROR at accept. */
#define MAX_DENIED_HANDSHAKES 4

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

/* Under the lock: @conn no longer counts against its address's pending
 * connections. */
void
_ws_server_forget_pending_locked (WsServer     *self,
                                  WsConnection *conn)
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

/* Claims a session slot for @conn's address; admitted, the connection
 * is no longer pending. Refused, *limit is the limit that was hit. */
WsClaim
_ws_server_claim (WsServer     *self,
                  WsConnection *conn,
                  guint        *limit)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  const char *address = conn->address;
  guint mine = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  if (self->n_sessions >= self->max_clients || self->stopping)
    {
      self->stats.connections_rejected++;
      *limit = self->max_clients;
      return WS_CLAIM_BUSY;
    }
  if (self->max_per_address > 0 && mine >= self->max_per_address)
    {
      self->stats.connections_rejected++;
      *limit = self->max_per_address;
      return WS_CLAIM_ADDRESS_BUSY;
    }
  self->n_sessions++;
  _ws_server_queue_notify_locked (self);
  g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (mine + 1));
  _ws_server_forget_pending_locked (self, conn);
  return WS_CLAIM_OK;
}

/* The slot back, the session out of the table, what it moved counted. */
void
_ws_server_release (WsServer        *self,
                    WsConnection    *conn,
                    WsServerSession *session,
                    gboolean         ok)
{
  g_autoptr(GMutexLocker) locker = NULL;
  guint mine;
  WsSessionTotals totals;

  ws_server_session_get_totals (session, &totals);
  locker = g_mutex_locker_new (&self->lock);
  mine = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, conn->address));
  if (mine > 1)
    g_hash_table_replace (self->per_address, g_strdup (conn->address), GUINT_TO_POINTER (mine - 1));
  else
    g_hash_table_remove (self->per_address, conn->address);

  g_ptr_array_remove (self->sessions, session);
  self->stats.bytes_received += totals.bytes_received;
  self->stats.bytes_sent += totals.bytes_sent;
  self->stats.legacy_udp_packets += totals.udp_packets;
  if (ok)
    self->stats.sessions_completed++;
  else
    self->stats.sessions_failed++;
  self->n_sessions--;
  _ws_server_queue_notify_locked (self);
}

/* Room for one more report connection, within --max-report-connections.
 * It stays counted as its address's pending connection, so that one
 * address holds no more of them than --max-pending-per-address. */
gboolean
_ws_server_claim_reporter (WsServer *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->n_reporting >= self->max_report_connections || self->stopping)
    {
      self->stats.connections_rejected++;
      return FALSE;
    }
  self->n_reporting++;
  return TRUE;
}

void
_ws_server_release_reporter (WsServer *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_assert (self->n_reporting > 0);
  self->n_reporting--;
}

/* A STREAM_HELLO or iperf3 "connect" from a peer the ACL does not allow
 * is dropped like junk: no socket, no answer. */
gboolean
_ws_server_udp_peer_allowed (WsServer       *self,
                             GSocketAddress *peer)
{
  gboolean allowed;

  if (self->acl == NULL)
    return TRUE;
  allowed = G_IS_INET_SOCKET_ADDRESS (peer)
            && ws_acl_allows (self->acl, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer)));
  if (!allowed)
    {
      g_mutex_lock (&self->lock);
      self->stats.connections_denied++;
      g_mutex_unlock (&self->lock);
    }
  return allowed;
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

/* Under the lock: the connection record, counted as pending or denying. */
static WsConnection *
new_connection_locked (WsServer *self,
                       GSocket  *socket,
                       char     *ip,
                       gboolean  denied)
{
  WsConnection *conn = g_new0 (WsConnection, 1);

  if (denied)
    {
      self->n_denying++;
      self->stats.connections_denied++;
      conn->denied = TRUE;
    }
  else
    {
      guint pending = GPOINTER_TO_UINT (g_hash_table_lookup (self->pending_per_address, ip));

      g_hash_table_replace (self->pending_per_address, g_strdup (ip),
                            GUINT_TO_POINTER (pending + 1));
      conn->pending = TRUE;
    }
  conn->server = self;
  conn->socket = g_object_ref (socket);
  conn->channel = ws_channel_new (socket);
  conn->cancellable = g_cancellable_new ();
  conn->peer = describe_peer (socket);
  conn->address = ip;
  conn->seq = self->n_accepted++;
  g_ptr_array_add (self->connections, conn->cancellable);
  return conn;
}

/**
 * _ws_server_admit:
 *
 * A connection the accept thread has just taken: refused at once, or
 * given a thread of its own (ws-dispatch.c) that finds out what it is.
 */
void
_ws_server_admit (WsServer *self,
                  GSocket  *socket)
{
  g_autoptr(GInetAddress) address = peer_address (socket);
  g_autofree char *ip = NULL;
  WsConnection *conn;
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
  /* Report connections have room of their own (_ws_server_claim_reporter),
   * so those serving agents do not count against the tests' room. */
  if (!denied
      && (self->connections->len - self->n_reporting >= MAX_PENDING_CONNECTIONS + 2 * self->max_clients
          || pending >= self->max_pending_per_address || self->stopping))
    {
      self->stats.connections_rejected++;
      g_mutex_unlock (&self->lock);
      g_socket_close (socket, NULL);
      return;
    }
  conn = new_connection_locked (self, socket, g_steal_pointer (&ip), denied);
  g_mutex_unlock (&self->lock);

  g_socket_set_blocking (socket, FALSE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  thread = g_thread_try_new ("ws-connection", _ws_server_connection_thread, conn, NULL);
  if (thread != NULL)
    g_thread_unref (thread);
  else
    _ws_server_connection_thread (conn);
}
