/* ws-http.h — the few HTTP pieces the server parses itself
 *
 * libsoup parses requests; what is left to us is pure and bounded: is a
 * connection's first bytes a request line, our query parameters, a single
 * Range header, the names of the page's files, and request targets made
 * safe for the log.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest method we know ("OPTIONS", "CONNECT") and its space. */
#define WS_HTTP_SNIFF_MAX 8

typedef enum {
  WS_HTTP_SNIFF_MORE,   /* a prefix of a method: more bytes decide */
  WS_HTTP_SNIFF_HTTP,   /* a method token and a space */
  WS_HTTP_SNIFF_OTHER,  /* not a request line */
} WsHttpSniff;

typedef enum {
  WS_HTTP_PARAM_ABSENT,
  WS_HTTP_PARAM_OK,
  WS_HTTP_PARAM_BAD,    /* present, but not decimal digits within the maximum */
} WsHttpParam;

typedef enum {
  WS_HTTP_RANGE_NONE,           /* no Range, or one to ignore: the whole body */
  WS_HTTP_RANGE_OK,             /* one satisfiable range: 206 */
  WS_HTTP_RANGE_UNSATISFIABLE,  /* 416 */
  WS_HTTP_RANGE_MULTIPLE,       /* several ranges: we answer 416 */
} WsHttpRange;

WsHttpSniff  ws_http_sniff                (const guint8 *data,
                                           gsize         len);
WsHttpParam  ws_http_query_u64            (const char   *query,
                                           const char   *name,
                                           guint64       max,
                                           guint64      *value);
WsHttpRange  ws_http_parse_range          (const char   *header,
                                           guint64       size,
                                           guint64      *first,
                                           guint64      *last);
gboolean     ws_http_static_name_is_valid (const char   *name);
const char  *ws_http_content_type         (const char   *name);
char        *ws_http_log_escape           (const char   *text,
                                           gsize         max_len);

G_END_DECLS
