/* ws-server-private.h — what the server's files share
 *
 * WsServer is one object in four files, one per job: ws-server.c (the
 * object, the session table and the one path every session runs),
 * ws-admission.c (who may connect and run a test), ws-dispatch.c (what a
 * connection is, by its first bytes) and ws-udp-demux.c (datagrams of
 * streams not yet connected). One lock guards all of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-acl.h"
#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-server.h"
#include "ws-server-session.h"

G_BEGIN_DECLS

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
  WsReportSink *report_sink; /* NULL: COLLECT is refused */
  guint max_report_connections;

  GSocket *listener;
  GThread *accept_thread;
  int udp_fd;             /* datagrams of streams not yet connected */
  GThread *udp_thread;
  GCancellable *cancellable;

  GMutex lock;
  GCond cond;
  GPtrArray *connections; /* GCancellable per connection thread */
  GPtrArray *sessions;    /* WsServerSession, every kind, findable by match() */
  guint n_sessions;       /* sessions holding a slot: v1, v2 and iperf3 */
  guint n_denying;        /* denied connections being told in a thread */
  guint n_reporting;      /* report connections past COLLECT: no session slot */
  GHashTable *per_address; /* unmapped address string → sessions running */
  GHashTable *pending_per_address; /* the same → connections not yet admitted */
  guint64 n_accepted;
  gboolean stopping;
  WsServerStats stats;

  GMainContext *context;  /* where n-sessions is notified: ws_server_start()'s */
  gboolean notify_queued; /* an idle there will notify n-sessions (under the lock) */
};

/* An accepted connection, while its thread finds out what it is. */
typedef struct {
  WsServer *server;
  GSocket *socket;
  WsChannel *channel;  /* the socket as a control connection, maybe TLS */
  GCancellable *cancellable;
  char *peer;
  char *address;       /* the peer's address, IPv4-mapped ones as IPv4 */
  guint64 seq;         /* accept order: iperf3 streams are told apart by it */
  gboolean pending;    /* counted in pending_per_address (under the lock) */
  gboolean denied;     /* by the ACL: only to be told so (n_denying) */
} WsConnection;

/* ws-server.c */
void             _ws_server_queue_notify_locked (WsServer              *self);
WsServerSession *_ws_server_find_session        (WsServer              *self,
                                                 const WsSessionKey    *key);
void             _ws_server_run_session         (WsServer              *self,
                                                 WsConnection          *conn,
                                                 WsServerSession       *session);

/* ws-admission.c */
void             _ws_server_admit               (WsServer              *self,
                                                 GSocket               *socket);
void             _ws_server_forget_pending_locked (WsServer            *self,
                                                 WsConnection          *conn);
WsClaim          _ws_server_claim               (WsServer              *self,
                                                 WsConnection          *conn,
                                                 guint                 *limit);
void             _ws_server_release             (WsServer              *self,
                                                 WsConnection          *conn,
                                                 WsServerSession       *session,
                                                 gboolean               ok);
gboolean         _ws_server_udp_peer_allowed    (WsServer              *self,
                                                 GSocketAddress        *peer);
gboolean         _ws_server_claim_reporter      (WsServer              *self);
void             _ws_server_release_reporter    (WsServer              *self);

/* ws-dispatch.c */
gpointer         _ws_server_connection_thread   (gpointer               conn);

/* ws-udp-demux.c */
gboolean         _ws_server_start_udp           (WsServer              *self,
                                                 GError               **error);

G_END_DECLS
