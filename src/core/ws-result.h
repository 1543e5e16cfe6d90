/* ws-result.h — the one results model: samples, summary, streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ws-histogram.h"
#include "ws-test-mode.h"

G_BEGIN_DECLS

/* One direction of traffic over some span of time. Bytes at the receiver are
 * the truth; the sender's count and TCP state are reported beside them. */
typedef struct {
  gboolean measured;       /* FALSE: this direction was not tested */
  guint64 sender_bytes;
  guint64 receiver_bytes;
  guint32 retransmits;     /* sender's TCP retransmits in the span */
  guint64 snd_cwnd;        /* bytes, summed over streams, at the span's end */
  guint32 rtt_us;          /* sender's smoothed RTT, mean over streams */
  gdouble receiver_s;      /* how long the receiver counted, when it differs
                            * from the span: it drains what was queued after
                            * the sender stopped; 0 = the span */

  /* UDP only: datagrams, and the receiver's accounting */
  gboolean udp;
  guint64 sender_packets;
  guint64 receiver_packets;
  guint64 lost;
  guint64 out_of_order;
  guint64 duplicates;
  guint64 policed;         /* dropped uncounted by the receiving server:
                            * sent above the rate it granted */
  gdouble jitter_ms;       /* RFC 3550, the largest over streams */
} WsFlowStats;

/* Round-trip times in milliseconds; count 0 means nothing was measured. */
typedef struct {
  guint64 count;
  gdouble min;
  gdouble mean;
  gdouble p50;
  gdouble p90;
  gdouble p99;
  gdouble p999;
  gdouble max;
  gdouble stddev;
} WsLatency;

void ws_latency_from_histogram (WsLatency         *latency,
                                const WsHistogram *histogram);

/* One reporting interval: the live unit the GUI graphs and the CLI prints. */
typedef struct {
  guint index;
  gdouble start_s;
  gdouble end_s;
  WsFlowStats upload;
  WsFlowStats download;
  /* Request/response modes */
  guint64 transactions;
  guint64 rr_lost;
  WsLatency latency;
  gdouble rtt_jitter_ms;
  /* The latency probe, in throughput tests */
  WsLatency probe;
  guint64 probe_lost;
} WsSample;

typedef struct {
  guint id;
  WsDirection direction; /* upload or download */
  gdouble duration_s;
  WsFlowStats flow;
} WsStreamSummary;

/* An HTTP test: what answered, one request's phases (the first of the
 * load, on a new connection), and how many requests the load made. The
 * phases are durations in ms, each after the one before; a phase that did
 * not happen (no TLS over http://) is < 0. */
typedef struct {
  char *url;               /* the URL tested, after redirects */
  guint status;
  char *http_version;      /* "1.0", "1.1", "2" */
  char *tls_version;       /* "1.3"; NULL: plain HTTP */
  char *tls_cipher;        /* as GIO names it; NULL when it does not say */
  char *remote_address;    /* "192.0.2.7:443", "[2001:db8::1]:443" */
  gdouble dns_ms;
  gdouble connect_ms;      /* TCP, up to the end of the handshake */
  gdouble tls_ms;
  gdouble ttfb_ms;         /* request sent to the response's first byte */
  gdouble transfer_ms;     /* first byte of the response to its last */
  guint64 body_bytes;      /* that request's body (the response's, or the
                            * upload's) */
  guint64 requests;        /* load requests completed, all streams */
} WsHttpSummary;

WsHttpSummary *ws_http_summary_new  (void);
void           ws_http_summary_free (WsHttpSummary *summary);

#define WS_TYPE_RESULT (ws_result_get_type ())
GType ws_result_get_type (void) G_GNUC_CONST;

/* A refcounted record; the engine fills it, faces only read it. */
typedef struct {
  /* What was asked for */
  char *target;
  guint16 port;
  char *remote_address;
  /* The control connection's ends, "192.0.2.7:53210" or "[2001:db8::1]:53210":
   * this end's own, and this end as the server saw it (NULL: the server
   * did not say); they differ behind NAT. */
  char *local_address;
  char *client_address;
  /* How many other tests the server was running when it granted this one,
   * as it said; -1: it did not say (an older server, iperf3, HTTP). */
  gint server_tests;
  WsTestMode mode;
  WsDirection direction;
  guint streams;
  guint duration_s;
  gdouble interval_s;
  guint32 length;
  guint64 bytes;             /* a fixed-size test's size per direction; 0: timed */
  guint32 rr_request_size;
  guint32 rr_response_size;
  GDateTime *start_time;
  guint protocol_version;

  /* What was measured */
  gdouble elapsed_s;         /* START to DONE as the client saw it */
  gdouble upload_s;          /* how long each direction was measured: the */
  gdouble download_s;        /* elapsed time, or its phase in a speed test */
  gboolean interrupted;      /* stopped before the full duration */
  gboolean bytes_complete;   /* fixed size: every byte got there (TCP: the
                              * receiver's count; UDP: the sender's) */
  GArray *samples;           /* WsSample */
  GArray *stream_summaries;  /* WsStreamSummary */
  WsFlowStats upload;
  WsFlowStats download;

  /* Request/response modes */
  guint64 transactions;
  guint64 requests_sent;
  guint64 rr_lost;
  guint64 rr_late;
  WsLatency latency;
  gdouble rtt_jitter_ms;     /* RR and probes: RFC 3550 smoothing of RTT changes */

  /* Latency under load (throughput tests and the speed test) */
  WsLatency idle_latency;
  WsLatency loaded_latency;
  WsLatency loaded_latency_download; /* speed test only */
  WsLatency loaded_latency_upload;   /* speed test only */
  guint64 probe_sent;
  guint64 probe_lost;

  /* Against another tool's server (NULL: ours): its name, e.g. "iperf3",
   * and how latency was measured there, as there is no probe. */
  char *peer_protocol;
  char *latency_method;

  /* HTTP tests only (NULL otherwise) */
  WsHttpSummary *http;

  /*< private >*/
  WsHistogram *loaded_histogram; /* merges the speed test's phases */
  gint ref_count;
} WsResult;

WsResult  *ws_result_new                (void);
WsResult  *ws_result_ref                (WsResult       *result);
void       ws_result_unref              (WsResult       *result);
void       ws_result_add_sample         (WsResult       *result,
                                         const WsSample *sample);
void       ws_result_merge_loaded_latency (WsResult       *into,
                                           const WsResult *from);
gboolean   ws_result_address_translated (const WsResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsResult, ws_result_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsHttpSummary, ws_http_summary_free)

G_END_DECLS

/* The rest of the model's API, for every caller that includes this header:
 * derived figures, the JSON writer and reader, bounded JSON. */
#include "ws-json.h"
#include "ws-metrics.h"
#include "ws-result-json.h"
#include "ws-result-reader.h"
