/* ws-iperf3.h — iperf3's control protocol: constants and pure codecs
 *
 * No I/O here: the cookie check, the parameter JSON (untrusted, bounded),
 * the results JSON both ways and the UDP datagram header, so that all of
 * it is unit-testable without sockets. See docs/PROTOCOL.md, "iperf3".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 36 characters of [a-z2-7] and a NUL. */
#define WS_IPERF3_COOKIE_SIZE 37

/* Parameters and results are length-prefixed JSON; anything longer than
 * this is hostile or broken (iperf3's own are a few hundred bytes). */
#define WS_IPERF3_JSON_MAX 65536

#define WS_IPERF3_MAX_STREAMS 128
#define WS_IPERF3_MAX_TIME 86400
#define WS_IPERF3_MAX_TCP_LEN (1024 * 1024)
#define WS_IPERF3_MAX_UDP_LEN 65507
#define WS_IPERF3_DEFAULT_TCP_LEN (128 * 1024)
#define WS_IPERF3_DEFAULT_UDP_LEN 1460

/* Control states: one signed byte each on the control connection. */
typedef enum {
  WS_IPERF3_TEST_START = 1,
  WS_IPERF3_TEST_RUNNING = 2,
  WS_IPERF3_TEST_END = 4,
  WS_IPERF3_PARAM_EXCHANGE = 9,
  WS_IPERF3_CREATE_STREAMS = 10,
  WS_IPERF3_SERVER_TERMINATE = 11,
  WS_IPERF3_CLIENT_TERMINATE = 12,
  WS_IPERF3_EXCHANGE_RESULTS = 13,
  WS_IPERF3_DISPLAY_RESULTS = 14,
  WS_IPERF3_IPERF_START = 15,
  WS_IPERF3_IPERF_DONE = 16,
  WS_IPERF3_ACCESS_DENIED = -1,
  WS_IPERF3_SERVER_ERROR = -2,
} WsIperf3State;

/* The i_errno values we send after SERVER_ERROR: the client prints its own
 * text for each (iperf_strerror), so each is picked for what it says. */
typedef enum {
  WS_IPERF3_IE_UNIMP = 13,          /* "not implemented yet" */
  WS_IPERF3_IE_RECVPARAMS = 114,
  WS_IPERF3_IE_ACCESSDENIED = 121,
  WS_IPERF3_IE_SETMSS = 123,
  WS_IPERF3_IE_SETTOS = 125,
  WS_IPERF3_IE_SETFLOW = 127,
  WS_IPERF3_IE_PROTOCOL = 131,      /* "protocol does not exist" (SCTP) */
  WS_IPERF3_IE_SETCONGESTION = 134,
  WS_IPERF3_IE_SETPACING = 140,
  WS_IPERF3_IE_AUTHTEST = 142,      /* "test authorization failed" */
  WS_IPERF3_IE_STREAMACCEPT = 204,
} WsIperf3Errno;

/* The UDP "connect" datagram and its reply: four bytes written in the
 * client's byte order, with a legacy numeric value and the newer textual
 * one ("6789" / "9876"). */
#define WS_IPERF3_UDP_CONNECT_MSG 0x36373839u
#define WS_IPERF3_UDP_CONNECT_REPLY 0x39383736u
#define WS_IPERF3_LEGACY_UDP_CONNECT_MSG 123456789u
#define WS_IPERF3_LEGACY_UDP_CONNECT_REPLY 987654321u

typedef struct {
  gboolean udp;
  gboolean reverse;
  gboolean bidirectional;
  guint omit_s;
  guint time_s;
  guint64 bytes;          /* -n; 0 = by time */
  guint parallel;
  guint32 len;
  guint64 bandwidth;      /* bit/s per stream; 0 = unlimited */
  guint32 window;         /* -w socket buffer; 0 = default */
  gboolean get_server_output;
  gboolean udp_counters_64bit;
  gboolean nodelay;
  char *client_version;   /* may be NULL */
} WsIperf3Params;

void      ws_iperf3_params_clear      (WsIperf3Params *params);
gboolean  ws_iperf3_cookie_is_valid   (const guint8   *cookie,
                                       gsize           len);
gboolean  ws_iperf3_is_cookie_char    (int             c);
void      ws_iperf3_make_cookie       (char            cookie[WS_IPERF3_COOKIE_SIZE]);
gboolean  ws_iperf3_parse_params      (const char     *json,
                                       gsize           len,
                                       WsIperf3Params *params,
                                       int            *ie_errno,
                                       GError        **error);
char     *ws_iperf3_build_params      (const WsIperf3Params *params);
guint     ws_iperf3_n_streams         (const WsIperf3Params *params);
guint     ws_iperf3_stream_id         (guint           index);

typedef struct {
  guint id;
  guint64 bytes;
  gint64 retransmits;     /* -1: not known */
  gdouble jitter_s;
  guint64 errors;
  guint64 packets;
  gdouble start_time;
  gdouble end_time;
} WsIperf3StreamResult;

typedef struct {
  gdouble cpu_total, cpu_user, cpu_system;
  gint sender_has_retransmits;
  GArray *streams;        /* WsIperf3StreamResult */
  char *server_output_text;
} WsIperf3Results;

WsIperf3Results *ws_iperf3_results_new   (void);
void             ws_iperf3_results_free  (WsIperf3Results *results);
char            *ws_iperf3_results_build (const WsIperf3Results *results);
WsIperf3Results *ws_iperf3_results_parse (const char   *json,
                                          gsize         len,
                                          GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsIperf3Results, ws_iperf3_results_free)

/* The UDP payload header: seconds, microseconds, packet number (32 or 64
 * bits), all big-endian. */
gsize    ws_iperf3_udp_header_size  (gboolean counters_64bit);
void     ws_iperf3_udp_header_write (guint8   *buf,
                                     gboolean  counters_64bit,
                                     guint64   time_us,
                                     guint64   pcount);
gboolean ws_iperf3_udp_header_read  (const guint8 *buf,
                                     gsize         len,
                                     gboolean      counters_64bit,
                                     guint64      *time_us,
                                     guint64      *pcount);

/* What a UDP connect datagram is: 0 not one, 1 new value, 2 legacy value.
 * *swapped says it came in big-endian (client on a big-endian machine). */
int      ws_iperf3_udp_connect_kind (const guint8 *buf,
                                     gsize         len,
                                     gboolean     *swapped);
void     ws_iperf3_udp_connect_reply (int       kind,
                                      gboolean  swapped,
                                      guint8    reply[4]);

/* iperf3's receiver accounting (sequence gaps and RFC 3550 jitter), so
 * that its numbers mean what an iperf3 client expects. */
typedef struct {
  guint64 packet_count;   /* highest sequence number seen */
  guint64 errors;         /* lost, less late arrivals */
  guint64 out_of_order;
  gdouble jitter_s;
  gdouble prev_transit_s;
  gboolean have_transit;
} WsIperf3UdpRx;

void ws_iperf3_udp_rx_add (WsIperf3UdpRx *rx,
                           guint64        pcount,
                           gdouble        transit_s);

G_END_DECLS
