/* ws-http-request.h — one HTTP request and its timings, over libsoup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>
#include <stdatomic.h>

#include "ws-result.h"
#include "ws-test-config.h"

G_BEGIN_DECLS

/* No read or write may wait longer: a server that stalls mid-body fails
 * the test after this long, as a silent Wirespeed server does. */
#define WS_HTTP_TIMEOUT_S 10
/* Redirects followed before the URL is given up as a loop. */
#define WS_HTTP_MAX_REDIRECTS 10

/* One thread's HTTP client: a SoupSession (its own connections, used only
 * by the thread that made it) and how it checks certificates. */
typedef struct _WsHttpAgent WsHttpAgent;

WsHttpAgent  *ws_http_agent_new      (const WsTestConfig  *config,
                                      GError             **error);
void          ws_http_agent_free     (WsHttpAgent         *agent);
SoupMessage  *ws_http_agent_message  (WsHttpAgent         *agent,
                                      const char          *method,
                                      GUri                *uri);
GInputStream *ws_http_agent_send     (WsHttpAgent         *agent,
                                      SoupMessage         *msg,
                                      GCancellable        *cancellable,
                                      GError             **error);

gboolean      ws_http_check_status   (SoupMessage         *msg,
                                      GError             **error);
gboolean      ws_http_read_body      (GInputStream        *body,
                                      SoupMessage         *msg,
                                      guint8              *buffer,
                                      gsize                size,
                                      guint64              limit,
                                      _Atomic guint64     *counter,
                                      GCancellable        *cancellable,
                                      guint64             *got,
                                      GError             **error);
void          ws_http_summary_fill   (WsHttpSummary       *summary,
                                      SoupMessage         *msg,
                                      gint64               end_us,
                                      guint64              body_bytes);
char         *ws_http_uri_describe   (GUri                *uri);
GUri         *ws_http_parse_url      (const char          *text,
                                      GError             **error);
GUri         *ws_http_parse_location (GUri                *base,
                                      const char          *location,
                                      GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsHttpAgent, ws_http_agent_free)

G_END_DECLS
