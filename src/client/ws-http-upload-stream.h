/* ws-http-upload-stream.h — a request body of generated data, counted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <stdatomic.h>

G_BEGIN_DECLS

#define WS_TYPE_HTTP_UPLOAD_STREAM (ws_http_upload_stream_get_type ())
G_DECLARE_FINAL_TYPE (WsHttpUploadStream, ws_http_upload_stream, WS, HTTP_UPLOAD_STREAM,
                      GInputStream)

GInputStream *ws_http_upload_stream_new (guint64          size,
                                         _Atomic guint64 *counter);

G_END_DECLS
