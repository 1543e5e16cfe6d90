/* ws-session-private.h — what the files of WsSession share
 *
 * WsSession is one object in two files: ws-session-greet.c (HELLO_REPLY,
 * AUTH, the first request) and ws-session.c (the test itself).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-session.h"
#include "ws-stream.h"

G_BEGIN_DECLS

struct _WsSession {
  GObject parent_instance;

  WsChannel *control;
  WsAuth *auth;          /* NULL: no authentication */
  gboolean greeted;      /* HELLO_REPLY sent (and the key checked) */
  char *peer;
  GInetAddress *host;     /* the control connection's far end: UDP streams come from it */
  WsHello hello;
  GCancellable *cancellable;
  gint64 idle_timeout_ns;
  guint max_duration_s;   /* 0: no limit */
  guint64 max_bitrate;    /* a whole UDP_STREAM test, bit/s; 0: no limit */
  gboolean grant;         /* the client takes TEST_GRANT */
  gboolean server_tests;  /* ... with the count of the server's other tests */
  WsServer *server;       /* whose sessions those are; NULL: none known.
                           * Not a reference: a server outlives the
                           * connection threads that run its sessions. */
  gboolean collecting;    /* the server takes COLLECT: HELLO_REPLY says REPORTS */
  char *key_name;         /* who authenticated; NULL without keys */
  WsMessage first;        /* read by ws_session_read_request(), not yet taken */
  gboolean have_first;

  WsTestRequest request;
  guint64 bytes;          /* TEST_BYTES: payload per direction; 0: timed */
  guint8 cookie[WS_COOKIE_SIZE];

  GMutex lock;
  GCond cond;
  WsStream **streams;
  guint n_streams;
  guint n_attached;
  gboolean started;
  gboolean aborted;

  /* Per-stream state of the interval reporter (control thread only). */
  WsStreamCounters *last;
  WsUdpCounts *last_udp;
  guint32 *first_retransmits;
  guint interval_index;
  gint64 start_ns;
  gint64 interval_start_ns;

  WsSessionTotals totals;
};

gint64   _ws_session_idle_deadline (WsSession        *self);
gboolean _ws_session_send          (WsSession        *self,
                                    const WsMessage  *msg,
                                    GError          **error);
gboolean _ws_session_refuse        (WsSession        *self,
                                    WsProtocolError   code,
                                    const char       *text,
                                    GError          **error);
gboolean _ws_session_read          (WsSession        *self,
                                    WsMessage        *msg,
                                    GError          **error);

G_END_DECLS
