/* ws-grant.c — what the server grants of a version 2 test request
 *
 * Pure: a request and the server's limits in, the granted request (or the
 * words of a refusal) out. The refusals stay English: they go over the
 * wire to a client whose language the server cannot know.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-grant.h"

/* The longest write that keeps the stream buffers within
 * WS_SESSION_MAX_BUFFER: a UDP_STREAM stream batches 64 datagrams
 * (ws-stream.c), and a datagram holds at most 65 507 bytes. */
static guint32
max_length (const WsTestRequest *q,
            guint                n_streams)
{
  gboolean udp = q->mode == WS_TEST_UDP_STREAM;
  guint64 limit = WS_SESSION_MAX_BUFFER / ((udp ? 64 : 1) * n_streams);

  return MIN (limit, udp ? WS_MAX_RR_SIZE : WS_MAX_LENGTH);
}

/* max_bitrate is for the whole test: each UDP_STREAM data stream, in
 * either direction, gets its share. */
static guint64
bitrate_limit (const WsTestRequest *q,
               guint64              max_bitrate)
{
  guint n = q->streams * (q->direction == WS_DIRECTION_BIDIR ? 2 : 1);

  return MAX (max_bitrate / n, 1);
}

/* Each stream is a thread here: past the budget, fewer streams per
 * direction, which TEST_ACCEPT tells the client. */
void
ws_grant_streams (WsTestRequest *q)
{
  gboolean both = !ws_test_mode_is_rr (q->mode) && q->direction == WS_DIRECTION_BIDIR;
  guint budget = WS_SESSION_MAX_STREAM_THREADS - ((q->flags & WS_REQUEST_FLAG_PROBE) ? 1 : 0);

  q->streams = MIN (q->streams, budget / (both ? 2 : 1));
}

/**
 * ws_grant_limits:
 *
 * Shrinks the request to the server's limits: TEST_ACCEPT tells the client
 * the granted duration and length, TEST_GRANT the bitrate. A client that
 * cannot take TEST_GRANT would send at the rate it asked for, so a faster
 * request from it is refused instead, saying what is allowed.
 *
 * Returns: (transfer full) (nullable): NULL when granted, else the refusal.
 */
char *
ws_grant_limits (WsTestRequest       *q,
                 guint                n_streams,
                 const WsGrantLimits *limits)
{
  guint64 rate;

  if (limits->max_duration_s > 0)
    q->duration_ms = MIN (q->duration_ms, limits->max_duration_s * 1000);
  q->length = MIN (q->length, max_length (q, n_streams));
  if (q->mode != WS_TEST_UDP_STREAM || limits->max_bitrate == 0)
    return NULL;
  rate = bitrate_limit (q, limits->max_bitrate);
  if (q->bitrate != 0 && q->bitrate <= rate)
    return NULL;
  if (!limits->can_grant)
    return g_strdup_printf ("The server allows at most %" G_GUINT64_FORMAT
                            " bit/s per stream for this test", rate);
  q->bitrate = rate;
  return NULL;
}

/* Every stream must carry at least one byte, and a UDP one a whole
 * header; a UDP length of two headers lets the last two datagrams of a
 * stream always add up to its share exactly (ws-udp-stream.c).
 * Returns: (nullable): NULL when @bytes can be granted, else the refusal. */
const char *
ws_grant_check_bytes (const WsTestRequest *q,
                      guint64              bytes)
{
  gboolean udp = q->mode == WS_TEST_UDP_STREAM;
  guint64 min_share = udp ? WS_UDP_HEADER_SIZE : 1;

  if (ws_test_bytes_share (bytes, q->streams, q->streams - 1) < min_share)
    return udp ? "A fixed-size UDP test needs at least 24 bytes per stream"
               : "A fixed-size test needs at least one byte per stream";
  if (udp && q->length < 2 * WS_UDP_HEADER_SIZE)
    return "A fixed-size UDP test needs a length of at least 48 bytes";
  return NULL;
}
