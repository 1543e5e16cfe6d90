/* ws-legacy-session.c — a version 1 (seed protocol) test, server side
 *
 * Version 1 has no cookie, so its data cannot share the control port with
 * other sessions: each v1 session opens an ephemeral port, a UDP socket and a
 * TCP listener with the same number, counts the datagrams that arrive and
 * throws TCP data away. A data thread does the counting while this thread
 * waits for TEST_DONE.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-io.h"
#include "ws-legacy-session.h"
#include "ws-protocol.h"
#include "ws-time.h"

#define MAX_TCP_PEERS 8
#define BIND_ATTEMPTS 16

typedef struct {
  int udp_fd;
  int listen_fd;
  struct sockaddr_storage peer; /* the control connection's far end */
  int peers[MAX_TCP_PEERS];
  guint n_peers;
  _Atomic guint64 udp_packets;
  _Atomic gint64 last_activity_ns;
  atomic_bool stop;
} DataPort;

/* Binds to the address the control connection arrived on, so a server
 * started with --bind opens its v1 data ports there only. */
static int
bind_socket (const struct sockaddr_storage *local, socklen_t len, int type, guint16 port)
{
  struct sockaddr_storage ss = *local;
  int fd = socket (ss.ss_family, type | SOCK_CLOEXEC, 0);
  int one = 1;

  if (fd < 0)
    return -1;
  if (ss.ss_family == AF_INET6)
    ((struct sockaddr_in6 *) &ss)->sin6_port = htons (port);
  else
    ((struct sockaddr_in *) &ss)->sin_port = htons (port);
  if (type == SOCK_STREAM)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &ss, len) < 0
      || (type == SOCK_STREAM && listen (fd, MAX_TCP_PEERS) < 0))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static guint16
local_port (int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;

  if (getsockname (fd, (struct sockaddr *) &ss, &len) < 0)
    return 0;
  if (ss.ss_family == AF_INET6)
    return ntohs (((struct sockaddr_in6 *) &ss)->sin6_port);
  return ntohs (((struct sockaddr_in *) &ss)->sin_port);
}

/* UDP and TCP port numbers are separate spaces, so the UDP port the kernel
 * picks may be taken for TCP; try a few. */
static gboolean
data_port_open (DataPort *dp, GSocket *control, GError **error)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (control, error);
  g_autoptr(GSocketAddress) remote = NULL;
  struct sockaddr_storage ss;
  socklen_t len;

  dp->udp_fd = dp->listen_fd = -1;
  if (local == NULL || (remote = g_socket_get_remote_address (control, error)) == NULL
      || !g_socket_address_to_native (remote, &dp->peer, sizeof dp->peer, error))
    return FALSE;
  len = g_socket_address_get_native_size (local);
  if (!g_socket_address_to_native (local, &ss, sizeof ss, error))
    return FALSE;
  for (guint i = 0; i < BIND_ATTEMPTS; i++)
    {
      dp->udp_fd = bind_socket (&ss, len, SOCK_DGRAM, 0);
      if (dp->udp_fd < 0)
        break;
      dp->listen_fd = bind_socket (&ss, len, SOCK_STREAM, local_port (dp->udp_fd));
      if (dp->listen_fd >= 0)
        return TRUE;
      close (dp->udp_fd);
      dp->udp_fd = -1;
    }
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
               "Cannot open a data port: %s", g_strerror (errno));
  return FALSE;
}

/* The data port is ephemeral but not secret: anyone who finds it could
 * inflate the count with their own datagrams, so only the host of the
 * control connection's are counted (the port does not matter: a client
 * may send from several sockets). */
static gboolean
from_peer_host (const DataPort *dp, const struct sockaddr_storage *from)
{
  if (from->ss_family != dp->peer.ss_family)
    return FALSE;
  if (from->ss_family == AF_INET6)
    return memcmp (&((const struct sockaddr_in6 *) from)->sin6_addr,
                   &((const struct sockaddr_in6 *) &dp->peer)->sin6_addr,
                   sizeof (struct in6_addr)) == 0;
  return ((const struct sockaddr_in *) from)->sin_addr.s_addr
         == ((const struct sockaddr_in *) &dp->peer)->sin_addr.s_addr;
}

/* Counts the datagrams waiting on the UDP port, the peer's only. */
static void
count_datagrams (DataPort *dp)
{
  char buf[65536];

  for (;;)
    {
      struct sockaddr_storage from;
      socklen_t len = sizeof from;

      if (recvfrom (dp->udp_fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &from, &len) < 0)
        return;
      if (from_peer_host (dp, &from))
        atomic_fetch_add (&dp->udp_packets, 1);
    }
}

static void
data_port_close (DataPort *dp)
{
  for (guint i = 0; i < dp->n_peers; i++)
    close (dp->peers[i]);
  if (dp->udp_fd >= 0)
    close (dp->udp_fd);
  if (dp->listen_fd >= 0)
    close (dp->listen_fd);
}

static void
data_port_service (DataPort *dp, struct pollfd *fds, guint n)
{
  char buf[65536];

  if (fds[0].revents & POLLIN)
    count_datagrams (dp);
  if ((fds[1].revents & POLLIN) && dp->n_peers < MAX_TCP_PEERS)
    {
      int fd = accept4 (dp->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0)
        dp->peers[dp->n_peers++] = fd;
    }
  for (guint i = 2; i < n; i++)
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
      {
        ssize_t r = recv (fds[i].fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN))
          {
            /* Closed: swap the last peer into this slot. */
            guint slot = i - 2;
            close (dp->peers[slot]);
            dp->peers[slot] = dp->peers[--dp->n_peers];
          }
      }
  atomic_store (&dp->last_activity_ns, ws_now_ns ());
}

static gpointer
data_thread (gpointer data)
{
  DataPort *dp = data;

  while (!atomic_load (&dp->stop))
    {
      struct pollfd fds[2 + MAX_TCP_PEERS];
      guint n = 0;

      fds[n++] = (struct pollfd) { dp->udp_fd, POLLIN, 0 };
      fds[n++] = (struct pollfd) { dp->listen_fd, POLLIN, 0 };
      for (guint i = 0; i < dp->n_peers; i++)
        fds[n++] = (struct pollfd) { dp->peers[i], POLLIN, 0 };
      if (poll (fds, n, 200) > 0)
        data_port_service (dp, fds, n);
    }
  return NULL;
}

/* Waits for TEST_DONE. Data arriving on the data port counts as activity:
 * a long test is not idle just because its control connection is quiet. */
static gboolean
wait_for_done (GSocket       *control,
               DataPort      *dp,
               gint64         idle_ns,
               GCancellable  *cancellable,
               GError       **error)
{
  for (;;)
    {
      gint64 deadline = atomic_load (&dp->last_activity_ns) + idle_ns;
      g_autoptr(GError) local_error = NULL;
      WsMessage msg;

      if (ws_io_wait_readable (control, deadline, cancellable, &local_error))
        {
          if (!ws_io_read_message (control, &msg, ws_now_ns () + idle_ns, cancellable, error))
            return FALSE;
          if (msg.version == WS_PROTOCOL_V1 && msg.type == WS_V1_TEST_DONE)
            return TRUE;
          g_set_error_literal (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                               "Expected TEST_DONE");
          ws_io_send_error (control, WS_PROTOCOL_ERROR_BAD_MESSAGE, 0, "Expected TEST_DONE");
          return FALSE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (ws_now_ns () - atomic_load (&dp->last_activity_ns) >= idle_ns)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "No control message or data for %" G_GINT64_FORMAT " s",
                       idle_ns / WS_NSEC_PER_SEC);
          return FALSE;
        }
    }
}

static gboolean
send_v1 (GSocket *control, WsMessage *msg, GCancellable *cancellable, GError **error)
{
  return ws_io_send_message (control, msg, ws_now_ns () + 10 * WS_NSEC_PER_SEC,
                             cancellable, error);
}

struct _WsLegacySession {
  GObject parent_instance;

  WsChannel *control;     /* plaintext: version 1 has no TLS */
  char *peer;
  guint idle_timeout_s;
  GCancellable *cancellable;
  guint64 udp_packets;
};

static void ws_legacy_session_server_session_init (WsServerSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsLegacySession, ws_legacy_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_SERVER_SESSION,
                                                      ws_legacy_session_server_session_init))

static void
ws_legacy_session_finalize (GObject *object)
{
  WsLegacySession *self = WS_LEGACY_SESSION (object);

  g_clear_object (&self->control);
  g_clear_object (&self->cancellable);
  g_free (self->peer);

  G_OBJECT_CLASS (ws_legacy_session_parent_class)->finalize (object);
}

static void
ws_legacy_session_class_init (WsLegacySessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_legacy_session_finalize;
}

static void
ws_legacy_session_init (WsLegacySession *self)
{
}

/* @cancellable is the connection's, which the server's stop cancels. */
WsLegacySession *
ws_legacy_session_new (WsChannel    *control,
                       const char   *peer,
                       guint         idle_timeout_s,
                       GCancellable *cancellable)
{
  WsLegacySession *self = g_object_new (WS_TYPE_LEGACY_SESSION, NULL);

  self->control = g_object_ref (control);
  self->peer = g_strdup (peer);
  self->idle_timeout_s = idle_timeout_s;
  self->cancellable = g_object_ref (cancellable);
  return self;
}

/* TEST_REQUEST, already read, is all there is to agree on. */
static gboolean
ws_legacy_session_negotiate (WsServerSession  *session,
                             GError          **error)
{
  return TRUE;
}

/* TEST_REPLY with the data port, TEST_DONE, TEST_RESULTS. */
static gboolean
ws_legacy_session_run (WsServerSession  *session,
                       GError          **error)
{
  WsLegacySession *self = WS_LEGACY_SESSION (session);
  GSocket *control = ws_channel_get_socket (self->control);
  GCancellable *cancellable = self->cancellable;
  DataPort dp = { 0 };
  GThread *thread;
  WsMessage msg;
  gboolean ok;

  g_info ("%s: version 1 session started", self->peer);
  if (!data_port_open (&dp, control, error))
    return FALSE;
  atomic_store (&dp.last_activity_ns, ws_now_ns ());
  thread = g_thread_try_new ("ws-v1-data", data_thread, &dp, error);
  if (thread == NULL)
    {
      data_port_close (&dp);
      return FALSE;
    }

  ws_message_init (&msg, WS_PROTOCOL_V1, WS_V1_TEST_REPLY);
  msg.u.v1_reply.port = local_port (dp.udp_fd);
  ok = send_v1 (control, &msg, cancellable, error)
       && wait_for_done (control, &dp, self->idle_timeout_s * WS_NSEC_PER_SEC, cancellable, error);

  atomic_store (&dp.stop, TRUE);
  g_thread_join (thread);
  if (ok)
    {
      /* Datagrams that arrived after the thread's last poll still count. */
      count_datagrams (&dp);

      self->udp_packets = atomic_load (&dp.udp_packets);
      ws_message_init (&msg, WS_PROTOCOL_V1, WS_V1_TEST_RESULTS);
      msg.u.v1_results.udp_packets = self->udp_packets;
      ok = send_v1 (control, &msg, cancellable, error);
    }
  data_port_close (&dp);
  return ok;
}

/* Version 1 has no cookie: no data connection of the shared port is its. */
static gboolean
ws_legacy_session_attach (WsServerSession         *session,
                          const WsDataConnection  *data,
                          GError                 **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "a version 1 test has no data connections on this port");
  return FALSE;
}

static gboolean
ws_legacy_session_match (WsServerSession    *session,
                         const WsSessionKey *key)
{
  return FALSE;
}

static void
ws_legacy_session_abort (WsServerSession *session)
{
  g_cancellable_cancel (WS_LEGACY_SESSION (session)->cancellable);
}

static void
ws_legacy_session_get_totals (WsServerSession *session,
                              WsSessionTotals *totals)
{
  totals->udp_packets = WS_LEGACY_SESSION (session)->udp_packets;
}

static void
ws_legacy_session_refuse (WsServerSession *session,
                          WsClaim          claim,
                          guint            limit)
{
  WsLegacySession *self = WS_LEGACY_SESSION (session);

  ws_server_session_refuse_busy (self->control, self->peer, claim, limit);
}

static char *
ws_legacy_session_describe_outcome (WsServerSession *session,
                                    const GError    *error)
{
  if (error != NULL)
    return g_strdup_printf ("version 1 session aborted: %s", error->message);
  return g_strdup_printf ("version 1 session finished, %" G_GUINT64_FORMAT " UDP packets",
                          WS_LEGACY_SESSION (session)->udp_packets);
}

static void
ws_legacy_session_server_session_init (WsServerSessionInterface *iface)
{
  iface->negotiate = ws_legacy_session_negotiate;
  iface->run = ws_legacy_session_run;
  iface->attach = ws_legacy_session_attach;
  iface->abort = ws_legacy_session_abort;
  iface->match = ws_legacy_session_match;
  iface->get_totals = ws_legacy_session_get_totals;
  iface->refuse = ws_legacy_session_refuse;
  iface->describe_outcome = ws_legacy_session_describe_outcome;
}
