/* ws-protocol.h — the Wirespeed wire codec (docs/PROTOCOL.md)
 *
 * Pure functions between byte buffers and structs: no I/O, no allocation,
 * no global state, so the parser can be fuzzed and unit-tested byte by byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-test-mode.h"

G_BEGIN_DECLS

#define WS_PROTOCOL_V1 1
#define WS_PROTOCOL_V2 2
#define WS_PROTOCOL_MAX_VERSION WS_PROTOCOL_V2

#define WS_V2_HEADER_SIZE 4
/* The largest v2 payload any known message has; anything above is refused
 * before a single payload byte is read. */
#define WS_V2_MAX_PAYLOAD 255
#define WS_MESSAGE_MAX_SIZE (WS_V2_HEADER_SIZE + WS_V2_MAX_PAYLOAD)

#define WS_COOKIE_SIZE 16
#define WS_NONCE_SIZE 32
#define WS_ERROR_TEXT_SIZE 124
#define WS_HELLO_MAGIC 0x57535032u /* "WSP2" */

/* Limits that every implementation enforces on TEST_REQUEST. */
#define WS_MAX_STREAMS 128
/* A bidirectional test numbers its streams 0 … 2 × streams − 1, and a
 * latency probe takes the next id. */
#define WS_MAX_STREAM_IDS (2 * WS_MAX_STREAMS + 1)
#define WS_MIN_DURATION_MS 100
#define WS_MAX_DURATION_MS (24u * 3600u * 1000u)
#define WS_MIN_INTERVAL_MS 100
#define WS_MAX_INTERVAL_MS (3600u * 1000u)
#define WS_MAX_LENGTH (16u * 1024u * 1024u)
#define WS_MAX_RR_SIZE 65507u
/* How long past the agreed duration a server waits for TEST_DONE, and a
 * client for the results; both ends must agree. */
#define WS_PROTOCOL_GRACE_S 10

/* TEST_REQUEST flags */
#define WS_REQUEST_FLAG_PROBE 0x00000001u /* add a UDP latency probe stream */
#define WS_REQUEST_FLAG_BYTES 0x00000002u /* a TEST_BYTES follows: a fixed-size test */
#define WS_REQUEST_KNOWN_FLAGS (WS_REQUEST_FLAG_PROBE | WS_REQUEST_FLAG_BYTES)

/* Who writes on a data stream. */
typedef enum {
  WS_ROLE_CLIENT_SENDS = 0,
  WS_ROLE_SERVER_SENDS = 1,
  WS_ROLE_RR = 2,    /* client requests, server responds */
  WS_ROLE_PROBE = 3, /* UDP latency probe: RR, paced by the client */
} WsStreamRole;

/* UDP data datagrams start with this header; its first byte can never
 * start a control message, so one socket can carry both. */
#define WS_UDP_MAGIC 0xd5
#define WS_UDP_HEADER_SIZE 24
#define WS_UDP_FLAG_REQUEST 0x01
#define WS_UDP_FLAG_RESPONSE 0x02

typedef struct {
  guint8 flags;
  guint16 stream_id;
  guint32 reserved;
  guint64 seq;
  guint64 send_ns;
} WsUdpHeader;

typedef enum {
  /* version 1 (the seed protocol) */
  WS_V1_TEST_REQUEST = 0x01,
  WS_V1_TEST_REPLY = 0x02,
  WS_V1_TEST_DONE = 0x03,
  WS_V1_TEST_RESULTS = 0x04,
} WsV1Type;

typedef enum {
  WS_MSG_HELLO = 0x01,
  WS_MSG_HELLO_REPLY = 0x02,
  WS_MSG_TEST_REQUEST = 0x03,
  WS_MSG_TEST_ACCEPT = 0x04,
  WS_MSG_STREAM_HELLO = 0x05,
  WS_MSG_TEST_START = 0x06,
  WS_MSG_TEST_DONE = 0x07,
  WS_MSG_INTERVAL = 0x08,
  WS_MSG_STREAM_RESULT = 0x09,
  WS_MSG_RESULTS_END = 0x0a,
  WS_MSG_KEEPALIVE = 0x0b,
  WS_MSG_STREAM_ACK = 0x0c,
  WS_MSG_UDP_STATS = 0x0d,
  WS_MSG_AUTH = 0x0e,
  WS_MSG_TEST_GRANT = 0x10,
  WS_MSG_TEST_BYTES = 0x11,
  WS_MSG_CLIENT_ADDRESS = 0x12,
  WS_MSG_COLLECT = 0x13,
  WS_MSG_COLLECT_ACCEPT = 0x14,
  WS_MSG_ERROR = 0x7f,
} WsMessageType;

/* Error codes: carried in ERROR messages and used as GError codes in
 * WS_PROTOCOL_ERROR, so a local parse failure and a peer's complaint read
 * the same. */
typedef enum {
  WS_PROTOCOL_ERROR_NONE = 0,
  WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION = 1,
  WS_PROTOCOL_ERROR_BAD_MESSAGE = 2,
  WS_PROTOCOL_ERROR_UNKNOWN_TYPE = 3,
  WS_PROTOCOL_ERROR_INVALID_VALUE = 4,
  WS_PROTOCOL_ERROR_BUSY = 5,
  WS_PROTOCOL_ERROR_UNSUPPORTED_MODE = 6,
  WS_PROTOCOL_ERROR_TIMEOUT = 7,
  WS_PROTOCOL_ERROR_UNKNOWN_SESSION = 8,
  WS_PROTOCOL_ERROR_INTERNAL = 9,
  WS_PROTOCOL_ERROR_ACCESS_DENIED = 10,
  WS_PROTOCOL_ERROR_AUTH_FAILED = 11,
  WS_PROTOCOL_ERROR_ABORTED = 12,
  WS_PROTOCOL_ERROR_TLS_REQUIRED = 13,
  /* Local only, never on the wire: the buffer ends before the message. */
  WS_PROTOCOL_ERROR_TRUNCATED = 1000,
} WsProtocolError;

#define WS_PROTOCOL_ERROR (ws_protocol_error_quark ())
GQuark ws_protocol_error_quark (void);

/* HELLO and HELLO_REPLY capabilities. A feature is used only when both
 * sides announce it: the client in HELLO, the server echoing it. */
#define WS_CAP_TEST_GRANT 0x00000002u /* TEST_GRANT follows every TEST_ACCEPT */
#define WS_CAP_TEST_BYTES 0x00000004u /* the server runs fixed-size tests (TEST_BYTES) */
#define WS_CAP_CLIENT_ADDRESS 0x00000008u /* CLIENT_ADDRESS follows HELLO_REPLY */
/* TEST_GRANT's last field counts the server's other tests; it lives in
 * TEST_GRANT, so it means nothing without WS_CAP_TEST_GRANT. */
#define WS_CAP_SERVER_TESTS 0x00000010u
#define WS_CAP_REPORTS 0x00000020u /* the server collects agents' reports (COLLECT) */

typedef struct {
  guint8 max_version;
  guint32 capabilities;
} WsHello;

typedef struct {
  guint8 version;
  guint32 capabilities;
  guint32 flags;
  guint8 nonce[WS_NONCE_SIZE];
} WsHelloReply;

/* HELLO_REPLY flags */
#define WS_HELLO_FLAG_AUTH_REQUIRED 0x01

#define WS_AUTH_NAME_SIZE 64
#define WS_AUTH_MAC_SIZE 32

/* The answer to the HELLO_REPLY nonce: HMAC-SHA256 keyed with the secret of
 * @name (see ws-auth.h). */
typedef struct {
  char name[WS_AUTH_NAME_SIZE + 1]; /* always NUL-terminated, not empty */
  guint8 mac[WS_AUTH_MAC_SIZE];
} WsAuthMessage;

typedef struct {
  guint8 mode;      /* WsTestMode */
  guint8 direction; /* WsDirection */
  guint16 streams;
  guint32 duration_ms;
  guint32 interval_ms;
  guint32 length;
  guint64 bitrate;
  guint32 rr_request_size;
  guint32 rr_response_size;
  guint32 flags;
} WsTestRequest;

typedef struct {
  guint8 cookie[WS_COOKIE_SIZE];
  guint16 streams;
  guint16 data_port;
  guint32 duration_ms;
  guint32 length;
} WsTestAccept;

/* What TEST_ACCEPT has no room for: the granted UDP_STREAM bitrate, and
 * how busy the server was. */
typedef struct {
  guint64 bitrate;
  guint32 server_tests; /* WS_CAP_SERVER_TESTS: the server's other tests
                         * when it granted this one; else 0 (reserved) */
} WsTestGrant;

/* An agent's or relay's request to send reports (section 10). */
#define WS_REPORT_VERSION 1
#define WS_COLLECT_FLAG_RELAY 0x0001u /* the reports are other agents' */
#define WS_COLLECT_KNOWN_FLAGS WS_COLLECT_FLAG_RELAY
/* Bounds of a collector's report limit: below 4 KiB no result fits; above
 * 64 MiB one hostile report could hold a collector's memory. */
#define WS_REPORT_MIN_MAX 4096u
#define WS_REPORT_MAX_MAX (64u * 1024u * 1024u)
#define WS_REPORT_DEFAULT_MAX (1024u * 1024u)

typedef struct {
  guint16 report_version;
  guint16 flags;
} WsCollect;

/* What the collector takes on this connection. */
typedef struct {
  guint32 max_report;  /* the largest REPORT payload, bytes */
  guint16 window;      /* REPORTs an agent may have unacknowledged */
} WsCollectAccept;

/* A fixed-size test: payload bytes per direction, all streams together. */
typedef struct {
  guint64 bytes;
} WsTestBytes;

/* The most TEST_BYTES may ask for: JSON integers are gint64. */
#define WS_MAX_TEST_BYTES ((guint64) G_MAXINT64)
/* CLIENT_ADDRESS families: the IP version, not an AF_ constant, whose
 * values differ between systems. */
#define WS_ADDRESS_FAMILY_IPV4 4
#define WS_ADDRESS_FAMILY_IPV6 6

/* The control connection's peer as the server's accept saw it. */
typedef struct {
  guint8 family;       /* WS_ADDRESS_FAMILY_* */
  guint16 port;
  guint8 address[16];  /* IPv4: the first 4 bytes, the rest zero */
} WsClientAddress;

typedef struct {
  guint8 cookie[WS_COOKIE_SIZE];
  guint16 stream_id;
  guint8 role; /* WsStreamRole */
} WsStreamHello;

typedef struct {
  guint64 elapsed_ns;
} WsTestDone;

/* The server's view of one stream over one interval. */
typedef struct {
  guint16 stream_id;
  guint8 role;
  guint8 flags;
  guint32 index;
  guint64 start_ns;
  guint64 end_ns;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 packets_received;
  guint32 retransmits;
  guint32 snd_cwnd;
  guint32 rtt_us;
  guint32 policed;      /* UDP receiving: datagrams dropped above the grant */
} WsInterval;

#define WS_INTERVAL_FLAG_FINAL 0x01

typedef struct {
  guint16 stream_id;
  guint8 role;
  guint64 duration_ns;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 packets_received;
  guint32 retransmits;
} WsStreamResult;

typedef struct {
  guint16 streams;
  guint32 intervals;
} WsResultsEnd;

/* A UDP receiver's accounting for one stream over one interval, or over the
 * whole test with WS_UDP_STATS_FLAG_TOTAL. */
typedef struct {
  guint16 stream_id;
  guint8 flags;
  guint32 index;
  guint64 packets_received;
  guint64 packets_lost;
  guint64 out_of_order;
  guint64 duplicates;
  guint64 jitter_ns;
} WsUdpStatsMessage;

#define WS_UDP_STATS_FLAG_FINAL 0x01
#define WS_UDP_STATS_FLAG_TOTAL 0x02

typedef struct {
  guint16 code;  /* WsProtocolError */
  guint16 value; /* code-specific, e.g. the highest version spoken */
  char text[WS_ERROR_TEXT_SIZE + 1]; /* always NUL-terminated */
} WsErrorMessage;

typedef struct {
  guint8 test_type;
} WsV1Request;

typedef struct {
  guint16 port;
} WsV1Reply;

typedef struct {
  guint64 udp_packets;
} WsV1Results;

typedef struct {
  guint8 version;
  guint8 type;
  union {
    WsHello hello;
    WsHelloReply hello_reply;
    WsAuthMessage auth;
    WsTestRequest request;
    WsTestAccept accept;
    WsTestGrant grant;
    WsTestBytes test_bytes;
    WsClientAddress client_address;
    WsCollect collect;
    WsCollectAccept collect_accept;
    WsStreamHello stream_hello;
    WsTestDone done;
    WsUdpStatsMessage udp_stats;
    WsInterval interval;
    WsStreamResult stream_result;
    WsResultsEnd results_end;
    WsErrorMessage error;
    WsV1Request v1_request;
    WsV1Reply v1_reply;
    WsV1Results v1_results;
  } u;
} WsMessage;

gssize   ws_message_frame_size   (const guint8    *buf,
                                  gsize            len,
                                  GError         **error);
gboolean ws_message_decode       (const guint8    *buf,
                                  gsize            len,
                                  WsMessage       *msg,
                                  gsize           *consumed,
                                  GError         **error);
gsize    ws_message_encode       (const WsMessage *msg,
                                  guint8          *buf,
                                  gsize            size);
gboolean ws_test_request_validate (const WsTestRequest *request,
                                   GError             **error);
gsize    ws_udp_header_encode    (const WsUdpHeader   *header,
                                  guint8              *buf,
                                  gsize                size);
gboolean ws_udp_header_decode    (const guint8        *buf,
                                  gsize                len,
                                  WsUdpHeader         *header);
guint    ws_test_request_n_streams (const WsTestRequest *request);
WsStreamRole ws_test_request_stream_role (const WsTestRequest *request,
                                          guint                id);
gboolean ws_stream_role_is_udp   (const WsTestRequest *request,
                                  WsStreamRole         role);
guint64  ws_test_bytes_share     (guint64              total,
                                  guint                streams,
                                  guint                index);

void     ws_message_init         (WsMessage       *msg,
                                  guint8           version,
                                  guint8           type);
void     ws_message_init_error   (WsMessage       *msg,
                                  WsProtocolError  code,
                                  guint16          value,
                                  const char      *text);

const char *ws_message_type_to_string  (guint8       version,
                                        guint8       type);

G_END_DECLS
