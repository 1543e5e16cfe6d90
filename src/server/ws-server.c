/* ws-server.c — the Wirespeed server: the object, its sessions, stop
 *
 * One accept thread (connections are admitted in ws-admission.c and told
 * apart in ws-dispatch.c), one UDP thread (ws-udp-demux.c), and one table
 * of sessions of every kind, each run through the same path: claim a
 * slot, negotiate, register, run, release with its totals, log. A session
 * that fails takes only itself down.
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
#include <unistd.h>

#include "ws-server.h"
#include "ws-server-private.h"

enum {
  PROP_0,
  PROP_N_SESSIONS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (WsServer, ws_server, G_TYPE_OBJECT)

static void
ws_server_finalize (GObject *object)
{
  WsServer *self = WS_SERVER (object);

  ws_server_stop (self);
  g_free (self->bind_address);
  g_clear_object (&self->tls_certificate);
  g_clear_pointer (&self->auth, ws_auth_unref);
  g_clear_pointer (&self->acl, ws_acl_unref);
  g_clear_object (&self->report_sink);
  g_hash_table_unref (self->per_address);
  g_hash_table_unref (self->pending_per_address);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->connections);
  g_ptr_array_unref (self->sessions);
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
void
_ws_server_queue_notify_locked (WsServer *self)
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
  self->max_report_connections = WS_DEFAULT_MAX_REPORT_CONNECTIONS;
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

/* Before ws_server_start(): COLLECT goes to @sink (NULL: refused). A sink
 * needs a certificate and keys, as reports travel only in TLS after AUTH
 * (docs/PROTOCOL.md section 10.1). */
void
ws_server_set_report_sink (WsServer     *self,
                           WsReportSink *sink)
{
  g_return_if_fail (self->listener == NULL);
  g_set_object (&self->report_sink, sink);
}

/* Report connections served at once; more are told BUSY after COLLECT.
 * They hold no session slot: agents cannot crowd out tests, and the
 * connection cap grows by this much, so tests cannot crowd out agents. */
void
ws_server_set_max_report_connections (WsServer *self,
                                      guint     max_connections)
{
  g_return_if_fail (self->listener == NULL);
  self->max_report_connections = MAX (max_connections, 1);
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

/* Returns: (transfer full) (nullable): the session @key names. */
WsServerSession *
_ws_server_find_session (WsServer           *self,
                         const WsSessionKey *key)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  for (guint i = 0; i < self->sessions->len; i++)
    {
      WsServerSession *s = g_ptr_array_index (self->sessions, i);
      if (ws_server_session_match (s, key))
        return g_object_ref (s);
    }
  return NULL;
}

/* Findable from now on; a stop that came first aborts it at once. */
static void
register_session (WsServer        *self,
                  WsServerSession *session)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_ptr_array_add (self->sessions, session);
  if (self->stopping)
    ws_server_session_abort (session);
}

/**
 * _ws_server_run_session:
 *
 * The one path of every session, on its connection's thread: a slot, or
 * the client told it is busy; the session's own negotiation; then,
 * findable by its data connections, the test; the slot back with what
 * the session moved; a log line.
 */
void
_ws_server_run_session (WsServer        *self,
                        WsConnection    *conn,
                        WsServerSession *session)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *outcome = NULL;
  guint limit = 0;
  WsClaim claim;
  gboolean ok;

  claim = _ws_server_claim (self, conn, &limit);
  if (claim != WS_CLAIM_OK)
    {
      ws_server_session_refuse (session, claim, limit);
      return;
    }
  ok = ws_server_session_negotiate (session, &error);
  if (ok)
    {
      register_session (self, session);
      ok = ws_server_session_run (session, &error);
    }
  _ws_server_release (self, conn, session, ok);
  outcome = ws_server_session_describe_outcome (session, ok ? NULL : error);
  g_info ("%s: %s", conn->peer, outcome);
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
        _ws_server_admit (self, socket);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* EMFILE and friends: back off instead of spinning. */
          g_info ("accept failed: %s", error->message);
          g_usleep (G_USEC_PER_SEC / 10);
        }
    }
  return NULL;
}

gboolean
ws_server_start (WsServer  *self,
                 GError   **error)
{
  g_return_val_if_fail (self->listener == NULL, FALSE);

  if (self->report_sink != NULL && (self->tls_certificate == NULL || self->auth == NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Collecting reports needs a TLS certificate and keys"));
      return FALSE;
    }
  self->listener = open_listener (self, error);
  if (self->listener == NULL)
    return FALSE;
  g_socket_set_blocking (self->listener, TRUE);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->stopping = FALSE;
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  if (!_ws_server_start_udp (self, error))
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
    ws_server_session_abort (g_ptr_array_index (self->sessions, i));
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
