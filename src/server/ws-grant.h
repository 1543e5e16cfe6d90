/* ws-grant.h — what the server grants of a version 2 test request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

/* The stream buffers one session may hold: the granted length shrinks to
 * fit, so that no request (257 streams of 16 MiB writes) can take the
 * server's memory. */
#define WS_SESSION_MAX_BUFFER (64u * 1024u * 1024u)

/* The data streams, probe included, one session may have: each is a
 * thread on the server, and a request may ask for 257. A request for more
 * is granted fewer streams per direction (TEST_ACCEPT's streams). */
#define WS_SESSION_MAX_STREAM_THREADS 64u

typedef struct {
  guint max_duration_s;   /* 0: no limit */
  guint64 max_bitrate;    /* a whole UDP_STREAM test, bit/s; 0: no limit */
  gboolean can_grant;     /* the client takes TEST_GRANT */
} WsGrantLimits;

void        ws_grant_streams     (WsTestRequest       *request);
char       *ws_grant_limits      (WsTestRequest       *request,
                                  guint                n_streams,
                                  const WsGrantLimits *limits);
const char *ws_grant_check_bytes (const WsTestRequest *request,
                                  guint64              bytes);

G_END_DECLS
