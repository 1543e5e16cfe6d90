/* ws-http-private.h — what the HTTP session and its endpoints share
 *
 * The session (ws-http-session.c) owns the connection, its limits and
 * its log; the endpoints (ws-http-endpoints.c) answer requests. Both run
 * on the connection's thread, in the session's main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "ws-payload.h"

#include "ws-http-session.h"

G_BEGIN_DECLS

/* The most a request body may carry, and a generated response. */
#define WS_HTTP_MAX_BODY G_GUINT64_CONSTANT (100000000000)

/* The pattern every generated body repeats (ws-http-body.c). */
#define WS_HTTP_PATTERN_SIZE WS_PAYLOAD_FD_SIZE

/* When a body written outside libsoup must stop. */
typedef struct {
  GCancellable *cancellable;
  gint64 idle_ns;           /* no progress for this long */
  gint64 deadline_ns;       /* 0: none */
} WsHttpBodyLimits;

/* One request, from its headers to its end: what it moved, for the log
 * line, the totals and the pacing. */
typedef struct {
  WsHttpSession *session;   /* not a reference: the session outlives its server */
  gint64 start_ns;
  gint64 body_end_ns;       /* the request body's end, 0 before */
  guint64 sent;             /* response body bytes written */
  guint64 received;         /* request body bytes read */
  guint64 offset;           /* a generated body: the next byte's position */
  guint64 remaining;        /* and the bytes still to give libsoup */
  gboolean fast;            /* the body goes by sendfile(), not libsoup */
  GSource *pace;            /* a paused body's resumption, when paced */
  gboolean finished;
} WsHttpRequest;

/* ws-http-session.c */
WsHttpRequest  *_ws_http_request_get            (SoupServerMessage *msg);
gboolean        _ws_http_session_is_tls         (WsHttpSession     *self);
GSocketAddress *_ws_http_session_get_remote     (WsHttpSession     *self);
const WsHttpLimits *_ws_http_session_get_limits (WsHttpSession     *self);
void            _ws_http_session_close          (WsHttpSession     *self,
                                                 const char        *reason);
GSource        *_ws_http_add_timeout            (gint64             delay_ns,
                                                 GSourceFunc        func,
                                                 SoupServerMessage *msg);
void            _ws_http_source_drop            (GSource           *source);
gint64          _ws_http_pace_delay_ns          (WsHttpRequest     *request,
                                                 guint64            moved);
int             _ws_http_session_get_fd         (WsHttpSession     *self);
void            _ws_http_body_limits            (WsHttpRequest     *request,
                                                 WsHttpBodyLimits  *limits);

/* ws-http-body.c */
const guint8   *_ws_http_pattern                (void);
gboolean        _ws_http_fast_path_available    (void);
gboolean        _ws_http_send_pattern           (int                fd,
                                                 guint64            offset,
                                                 guint64            length,
                                                 const WsHttpBodyLimits *limits,
                                                 guint64           *sent,
                                                 GError           **error);

/* ws-http-endpoints.c */
void            _ws_http_endpoints_add          (SoupServer        *server,
                                                 WsHttpSession     *session);
void            _ws_http_refusal_add            (SoupServer        *server,
                                                 guint              status,
                                                 const char        *text);
void            _ws_http_set_common_headers     (SoupServerMessage *msg);

G_END_DECLS
