/* ws-server-session.h — what the server asks of every kind of session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-channel.h"
#include "ws-protocol.h"

G_BEGIN_DECLS

#define WS_TYPE_SERVER_SESSION (ws_server_session_get_type ())
G_DECLARE_INTERFACE (WsServerSession, ws_server_session, WS, SERVER_SESSION, GObject)

/* What a session moved, for the server's stats once it has ended. */
typedef struct {
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 udp_packets;    /* version 1: the datagrams counted; 0 otherwise */
} WsSessionTotals;

/* What a data connection or datagram says it belongs to. A session
 * matches when every field given fits it. */
typedef struct {
  const guint8 *cookie;   /* NULL: an iperf3 UDP stream, known by its source */
  gsize cookie_size;      /* WS_COOKIE_SIZE or WS_IPERF3_COOKIE_SIZE */
  GInetAddress *source;   /* a UDP stream's source host; NULL: not asked */
} WsSessionKey;

/* A data connection handed to its session. */
typedef struct {
  GSocket *socket;            /* TCP, or UDP connected to the stream's source */
  const WsStreamHello *hello; /* version 2: what the stream said; else NULL */
  guint64 seq;                /* iperf3: the accept order of a TCP stream */
} WsDataConnection;

typedef enum {
  WS_CLAIM_OK,
  WS_CLAIM_BUSY,         /* the server runs max_clients sessions */
  WS_CLAIM_ADDRESS_BUSY, /* the peer's address runs max_per_address */
} WsClaim;

struct _WsServerSessionInterface {
  GTypeInterface g_iface;

  /* Up to the moment the test's data connections are wanted; on FALSE
   * the client has been told why where its protocol can say it. */
  gboolean (*negotiate)        (WsServerSession        *self,
                                GError                **error);
  /* The test itself; the session is findable by match() by then. */
  gboolean (*run)              (WsServerSession        *self,
                                GError                **error);
  gboolean (*attach)           (WsServerSession        *self,
                                const WsDataConnection *data,
                                GError                **error);
  /* From any thread: every wait of the session ends soon after. */
  void     (*abort)            (WsServerSession        *self);
  gboolean (*match)            (WsServerSession        *self,
                                const WsSessionKey     *key);
  void     (*get_totals)       (WsServerSession        *self,
                                WsSessionTotals        *totals);
  /* No slot for it: tells the client in its protocol's words, and logs. */
  void     (*refuse)           (WsServerSession        *self,
                                WsClaim                 claim,
                                guint                   limit);
  /* The log line's text after the peer, "session finished" and the like. */
  char    *(*describe_outcome) (WsServerSession        *self,
                                const GError           *error);
};

gboolean ws_server_session_negotiate        (WsServerSession        *self,
                                             GError                **error);
gboolean ws_server_session_run              (WsServerSession        *self,
                                             GError                **error);
gboolean ws_server_session_attach           (WsServerSession        *self,
                                             const WsDataConnection *data,
                                             GError                **error);
void     ws_server_session_abort            (WsServerSession        *self);
gboolean ws_server_session_match            (WsServerSession        *self,
                                             const WsSessionKey     *key);
void     ws_server_session_get_totals       (WsServerSession        *self,
                                             WsSessionTotals        *totals);
void     ws_server_session_refuse           (WsServerSession        *self,
                                             WsClaim                 claim,
                                             guint                   limit);
char    *ws_server_session_describe_outcome (WsServerSession        *self,
                                             const GError           *error);

char    *ws_server_session_busy_text        (WsClaim                 claim,
                                             guint                   limit);
void     ws_server_session_refuse_busy      (WsChannel              *channel,
                                             const char             *peer,
                                             WsClaim                 claim,
                                             guint                   limit);

G_END_DECLS
