/* ws-test-config.h — everything a test needs, as the faces ask for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-test-mode.h"

G_BEGIN_DECLS

#define WS_DEFAULT_DURATION_S 30
/* A fixed-size test without --time may take at most this long. */
#define WS_DEFAULT_BYTES_LIMIT_S 3600
#define WS_DEFAULT_INTERVAL_MS 1000
#define WS_DEFAULT_LENGTH (128 * 1024)
/* UDP: 1448 bytes of payload fit a 1500-byte MTU over IPv4 and IPv6. */
#define WS_DEFAULT_UDP_LENGTH 1448
/* UDP_STREAM's default rate: gentle enough for any shared link; set
 * --bitrate for more, or 0 for as fast as the host can send. */
#define WS_DEFAULT_UDP_BITRATE (10 * 1000 * 1000)

/* Everything a test needs; the CLI and the GUI fill it, the engine runs it. */
typedef struct {
  char *target;
  guint16 port;
  WsTestMode mode;
  WsDirection direction;
  guint streams;
  guint duration_s;      /* with bytes: the upper bound */
  guint64 bytes;         /* TCP_STREAM, UDP_STREAM: payload per direction, all
                          * streams together; 0: a timed test */
  guint interval_ms;
  guint32 length;        /* 0: the mode's default */
  guint64 bitrate;       /* UDP_STREAM, bit/s per stream; G_MAXUINT64: default */
  guint32 rr_request_size;
  guint32 rr_response_size;
  guint rr_timeout_ms;   /* UDP_RR; 0: adaptive */
  guint rr_pace_us;      /* RR: at least this between requests; 0: back to back */
  gboolean latency_probe; /* throughput tests: measure idle and loaded latency */
  /* Security of the control connection */
  gboolean tls;
  char *tls_ca_file;     /* NULL: the system's CAs */
  char *tls_fingerprint; /* NULL: no pin */
  char *auth_name;       /* NULL: no key */
  char *auth_secret;
  gboolean iperf3;       /* the server is iperf3 3.x (TCP_STREAM, UDP_STREAM) */
  gboolean no_zerocopy;  /* TCP: copy each write instead of sendfile() */
  gboolean no_gso;       /* UDP_STREAM: no segmentation or receive offload */
} WsTestConfig;

void ws_test_config_init  (WsTestConfig       *config);
void ws_test_config_clear (WsTestConfig       *config);
void ws_test_config_copy  (WsTestConfig       *dest,
                           const WsTestConfig *src);

G_END_DECLS
