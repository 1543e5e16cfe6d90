/* ws-test-mode.h — what a test measures and which way the data flows
 *
 * The values are the wire protocol's (docs/PROTOCOL.md), but every layer
 * names them, so they live here rather than in the codec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  WS_TEST_TCP_STREAM = 1,
  WS_TEST_TCP_RR = 2,
  WS_TEST_UDP_STREAM = 3,
  WS_TEST_UDP_RR = 4,
  /* Client-side orchestration of several tests; never on the wire. */
  WS_TEST_SPEED = 0x10,
  /* Against any web server, in HTTP: client-side too, never on our wire. */
  WS_TEST_HTTP = 0x11,
} WsTestMode;

typedef enum {
  WS_DIRECTION_UPLOAD = 0,   /* client sends */
  WS_DIRECTION_DOWNLOAD = 1, /* server sends */
  WS_DIRECTION_BIDIR = 2,
} WsDirection;

gboolean    ws_test_mode_is_udp        (WsTestMode   mode);
gboolean    ws_test_mode_is_rr         (WsTestMode   mode);
const char *ws_test_mode_to_string     (WsTestMode   mode);
gboolean    ws_test_mode_from_string   (const char  *str,
                                        WsTestMode  *mode);
const char *ws_direction_to_string     (WsDirection  direction);

G_END_DECLS
