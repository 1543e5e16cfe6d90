/* fuzz-control.c — libFuzzer harness for the control protocol codec
 *
 * Each input is used three ways:
 *
 *  1. As one message: ws_message_frame_size() and ws_message_decode() on the
 *     whole buffer, which must agree with each other.
 *  2. As the body of every message type: the input's bytes behind a correct
 *     header of each known version and type, so that every body decoder sees
 *     arbitrary bytes even before the fuzzer has learnt the headers.
 *  3. As the byte stream of a control connection: framed a byte at a time
 *     exactly as ws_io_read_message() does, until the first error, and the
 *     server's reports fed to a client's WsSampler as ws-client.c does.
 *  4. As the text of an ERROR to send, cut by ws_message_init_error().
 *
 * Whatever decodes is encoded again and must be the input with reserved
 * bytes zeroed (the decoder reads every other byte), and must decode to the
 * same struct: the codec's round-trip promise, checked on every input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "ws-protocol.h"
#include "ws-result.h"
#include "ws-sampler.h"

/* Encoded size of each known message, indexed by type; 0 = unknown. Learnt
 * from the encoder, so a type added to the codec is fuzzed without a change
 * here. */
static gsize v1_sizes[256];
static gsize v2_sizes[256];

/* Bytes the encoder writes as zero whatever was received: docs/PROTOCOL.md's
 * "reserved" fields, from the start of the message. */
typedef struct {
  guint8 type;
  guint8 offset;
  guint8 size;
} Reserved;

static const Reserved v2_reserved[] = {
  { WS_MSG_HELLO, 9, 3 },
  { WS_MSG_HELLO_REPLY, 9, 3 },
  { WS_MSG_TEST_REQUEST, 40, 4 },
  { WS_MSG_STREAM_HELLO, 23, 1 },
  { WS_MSG_STREAM_RESULT, 7, 1 },
  { WS_MSG_RESULTS_END, 6, 2 },
  { WS_MSG_STREAM_ACK, 23, 1 },
  { WS_MSG_UDP_STATS, 7, 1 },
  { WS_MSG_TEST_BYTES, 12, 4 },
  { WS_MSG_CLIENT_ADDRESS, 5, 1 },
};

/* The v2 types v2_reserved[] speaks for: every one in docs/PROTOCOL.md when
 * it was last brought up to date. A type added to the codec since is held
 * to the weaker rule that a byte it does not echo is a zero. */
static const guint8 v2_described[] = {
  WS_MSG_HELLO, WS_MSG_HELLO_REPLY, WS_MSG_TEST_REQUEST, WS_MSG_TEST_ACCEPT,
  WS_MSG_STREAM_HELLO, WS_MSG_TEST_START, WS_MSG_TEST_DONE, WS_MSG_INTERVAL,
  WS_MSG_STREAM_RESULT, WS_MSG_RESULTS_END, WS_MSG_KEEPALIVE, WS_MSG_STREAM_ACK,
  WS_MSG_UDP_STATS, WS_MSG_AUTH, WS_MSG_TEST_GRANT, WS_MSG_TEST_BYTES, WS_MSG_CLIENT_ADDRESS,
  WS_MSG_ERROR,
};

#define ERROR_TEXT_OFFSET 8

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  for (guint type = 0; type < 256; type++)
    {
      guint8 buf[WS_MESSAGE_MAX_SIZE];
      WsMessage msg;

      ws_message_init (&msg, WS_PROTOCOL_V1, type);
      v1_sizes[type] = ws_message_encode (&msg, buf, sizeof buf);
      ws_message_init (&msg, WS_PROTOCOL_V2, type);
      v2_sizes[type] = ws_message_encode (&msg, buf, sizeof buf);
    }
  return 0;
}

/* The decoder's errors are the protocol's own codes, never anything else:
 * the server sends them back to the peer as they are. */
static void
check_decode_error (const GError *error)
{
  FUZZ_CHECK (error != NULL);
  FUZZ_CHECK (error->domain == WS_PROTOCOL_ERROR);
  FUZZ_CHECK (error->code == WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION
              || error->code == WS_PROTOCOL_ERROR_BAD_MESSAGE
              || error->code == WS_PROTOCOL_ERROR_UNKNOWN_TYPE
              || error->code == WS_PROTOCOL_ERROR_INVALID_VALUE
              || error->code == WS_PROTOCOL_ERROR_TRUNCATED);
}

/* A request the codec accepts is one the session can lay out: stream ids
 * fit the id space and every id has a role. */
static void
check_request_layout (const WsTestRequest *request)
{
  guint n = ws_test_request_n_streams (request);

  FUZZ_CHECK (n >= 1 && n <= WS_MAX_STREAM_IDS);
  for (guint id = 0; id < n; id++)
    {
      WsStreamRole role = ws_test_request_stream_role (request, id);

      FUZZ_CHECK (role <= WS_ROLE_PROBE);
      FUZZ_CHECK ((role == WS_ROLE_PROBE)
                  == ((request->flags & WS_REQUEST_FLAG_PROBE) && id == n - 1));
    }
}

/* @out, the encoding of what @in decoded to, is @in with the reserved
 * bytes zeroed, and an ERROR's text cut to its first NUL and then to its
 * valid UTF-8 prefix, as docs/PROTOCOL.md says a receiver keeps it. */
static void
check_canonical (const guint8    *in,
                 const guint8    *out,
                 gsize            n,
                 const WsMessage *msg)
{
  gboolean zero[WS_MESSAGE_MAX_SIZE] = { FALSE };
  gboolean described = msg->version == WS_PROTOCOL_V1
                       || memchr (v2_described, msg->type, sizeof v2_described) != NULL;

  if (!described)
    {
      for (gsize i = 0; i < n; i++)
        FUZZ_CHECK (out[i] == in[i] || out[i] == 0);
      return;
    }
  if (msg->version == WS_PROTOCOL_V2)
    for (gsize i = 0; i < G_N_ELEMENTS (v2_reserved); i++)
      if (v2_reserved[i].type == msg->type)
        for (guint j = 0; j < v2_reserved[i].size; j++)
          zero[v2_reserved[i].offset + j] = TRUE;

  if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_ERROR)
    {
      const char *text = (const char *) in + ERROR_TEXT_OFFSET;
      gsize len = strnlen (text, WS_ERROR_TEXT_SIZE);
      const char *end = NULL;

      g_utf8_validate_len (text, len, &end);
      for (gsize i = ERROR_TEXT_OFFSET + (end - text); i < n; i++)
        zero[i] = TRUE;
      FUZZ_CHECK (g_utf8_validate (msg->u.error.text, -1, NULL));
    }

  for (gsize i = 0; i < n; i++)
    FUZZ_CHECK (out[i] == (zero[i] ? 0 : in[i]));
}

/* Everything that decoded: encode, compare, decode again. */
static void
check_round_trip (const guint8    *in,
                  gsize            n,
                  const WsMessage *msg)
{
  guint8 out[WS_MESSAGE_MAX_SIZE];
  g_autoptr(GError) error = NULL;
  WsMessage again;
  gsize consumed = 0;

  FUZZ_CHECK (n <= WS_MESSAGE_MAX_SIZE);
  /* An encoder that is short of room writes nothing. */
  FUZZ_CHECK (ws_message_encode (msg, out, n - 1) == 0);
  FUZZ_CHECK (ws_message_encode (msg, out, sizeof out) == n);
  check_canonical (in, out, n, msg);

  FUZZ_CHECK (ws_message_decode (out, n, &again, &consumed, &error));
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (consumed == n);
  FUZZ_CHECK (memcmp (&again, msg, sizeof again) == 0);

  if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_TEST_REQUEST)
    {
      FUZZ_CHECK (ws_test_request_validate (&msg->u.request, NULL));
      check_request_layout (&msg->u.request);
    }
}

/* Use 1: the whole input as one message. */
static void
decode_whole (const guint8 *data,
              gsize         size)
{
  g_autoptr(GError) frame_error = NULL;
  g_autoptr(GError) error = NULL;
  gssize frame = ws_message_frame_size (data, size, &frame_error);
  WsMessage msg;
  gsize consumed = 12345;
  gboolean ok;

  /* The receive buffer is WS_MESSAGE_MAX_SIZE bytes, and no more than the
   * header is ever needed to know how many bytes to read. */
  FUZZ_CHECK (frame <= WS_MESSAGE_MAX_SIZE);
  if (frame > 0)
    FUZZ_CHECK (frame >= 2);
  FUZZ_CHECK ((frame < 0) == (frame_error != NULL));
  if (size >= WS_V2_HEADER_SIZE)
    FUZZ_CHECK (frame != 0);
  if (frame_error != NULL)
    check_decode_error (frame_error);

  /* Every prefix long enough to tell says the same. */
  for (gsize have = 1; have <= MIN (size, (gsize) WS_V2_HEADER_SIZE); have++)
    {
      gssize prefix = ws_message_frame_size (data, have, NULL);

      FUZZ_CHECK (prefix == 0 || prefix == frame);
    }

  ok = ws_message_decode (data, size, &msg, &consumed, &error);
  if (frame < 0)
    {
      FUZZ_CHECK (!ok);
      FUZZ_CHECK (g_error_matches (error, frame_error->domain, frame_error->code));
      FUZZ_CHECK (consumed == 0);
      return;
    }
  if (frame == 0 || (gsize) frame > size)
    {
      FUZZ_CHECK (!ok);
      FUZZ_CHECK (g_error_matches (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TRUNCATED));
      FUZZ_CHECK (consumed == 0);
      return;
    }
  /* The frame is sound: its size is known, so a caller could skip it. */
  FUZZ_CHECK (consumed == (gsize) frame);
  if (!ok)
    {
      check_decode_error (error);
      FUZZ_CHECK (error->code != WS_PROTOCOL_ERROR_TRUNCATED);
      return;
    }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (msg.version == data[0] && msg.type == data[1]);
  FUZZ_CHECK ((msg.version == WS_PROTOCOL_V1 ? v1_sizes : v2_sizes)[msg.type] == consumed);
  check_round_trip (data, consumed, &msg);
}

/* Use 2: the input as the body of a message of each known type. */
static void
decode_as_every_type (const guint8 *data,
                      gsize         size)
{
  for (guint version = WS_PROTOCOL_V1; version <= WS_PROTOCOL_V2; version++)
    for (guint type = 0; type < 256; type++)
      {
        gsize n = (version == WS_PROTOCOL_V1 ? v1_sizes : v2_sizes)[type];
        gsize header = version == WS_PROTOCOL_V1 ? 2 : WS_V2_HEADER_SIZE;
        guint8 buf[WS_MESSAGE_MAX_SIZE] = { 0 };
        g_autoptr(GError) error = NULL;
        WsMessage msg;
        gsize consumed;

        if (n == 0)
          continue;
        buf[0] = version;
        buf[1] = type;
        if (version == WS_PROTOCOL_V2)
          {
            buf[2] = (n - header) >> 8;
            buf[3] = (n - header) & 0xff;
          }
        /* Short inputs are padded with zeros, the value of reserved bytes. */
        memcpy (buf + header, data, MIN (size, n - header));
        if (ws_message_decode (buf, n, &msg, &consumed, &error))
          check_round_trip (buf, n, &msg);
        else
          check_decode_error (error);
        FUZZ_CHECK (consumed == n);
      }
}

/* Use 3: a control connection as the client reads it during a test. */
typedef struct {
  WsTestRequest request;
  WsResult *result;
  WsSampler *sampler;
  guint popped;
} Client;

static void
client_pop (Client   *client,
            gboolean  flush)
{
  WsSample sample;

  while (ws_sampler_pop_ready (client->sampler, flush, &sample))
    {
      FUZZ_CHECK (sample.index == client->popped);
      client->popped++;
      FUZZ_CHECK (client->result->samples->len == client->popped);
    }
}

/* The sampler is made for the request of the last TEST_REQUEST, as granted
 * by the last TEST_ACCEPT: the stream layout it expects reports for. Its
 * streams are never read: only the server's half of each interval is fed,
 * and nothing ticks the client's own clock. */
static void
client_ensure_sampler (Client *client)
{
  if (client->sampler != NULL)
    return;
  client->result = ws_result_new ();
  client->sampler = ws_sampler_new (&client->request, NULL, client->result);
  client->popped = 0;
}

static void
client_clear (Client *client)
{
  if (client->sampler != NULL)
    client_pop (client, TRUE);
  g_clear_pointer (&client->sampler, ws_sampler_free);
  g_clear_pointer (&client->result, ws_result_unref);
}

static void
client_handle (Client          *client,
               const WsMessage *msg)
{
  if (msg->version != WS_PROTOCOL_V2)
    return;
  switch (msg->type)
    {
    case WS_MSG_TEST_REQUEST:
      client_clear (client);
      client->request = msg->u.request;
      break;
    case WS_MSG_TEST_ACCEPT:
      /* As ws-client.c: the granted values replace the requested ones. */
      client_clear (client);
      client->request.streams = msg->u.accept.streams;
      client->request.duration_ms = msg->u.accept.duration_ms;
      client->request.length = msg->u.accept.length;
      break;
    case WS_MSG_TEST_DONE:
      client_ensure_sampler (client);
      ws_sampler_begin_finish (client->sampler);
      break;
    case WS_MSG_INTERVAL:
      client_ensure_sampler (client);
      ws_sampler_add_interval (client->sampler, &msg->u.interval);
      client_pop (client, FALSE);
      break;
    case WS_MSG_UDP_STATS:
      client_ensure_sampler (client);
      ws_sampler_add_udp_stats (client->sampler, &msg->u.udp_stats);
      client_pop (client, FALSE);
      break;
    case WS_MSG_STREAM_RESULT:
      client_ensure_sampler (client);
      ws_sampler_add_result (client->sampler, &msg->u.stream_result);
      break;
    case WS_MSG_RESULTS_END:
      client_clear (client);
      break;
    default:
      break;
    }
}

static void
decode_stream (const guint8 *data,
               gsize         size)
{
  /* Until the input sends its own: a bidirectional UDP test with a probe,
   * the layout with every kind of stream. */
  Client client = {
    .request = {
      .mode = WS_TEST_UDP_STREAM, .direction = WS_DIRECTION_BIDIR, .streams = 2,
      .duration_ms = 10000, .interval_ms = 1000, .length = 1400,
      .rr_request_size = 1, .rr_response_size = 1, .flags = WS_REQUEST_FLAG_PROBE,
    },
  };
  gsize pos = 0;

  while (pos < size)
    {
      guint8 buf[WS_MESSAGE_MAX_SIZE];
      g_autoptr(GError) error = NULL;
      gsize have = 0;
      gssize frame = 0;
      WsMessage msg;

      /* A byte at a time until the size is known, as ws_io_read_message():
       * its buffer must never fill before it is. */
      while (frame == 0 && pos < size)
        {
          FUZZ_CHECK (have < WS_V2_HEADER_SIZE);
          buf[have++] = data[pos++];
          frame = ws_message_frame_size (buf, have, &error);
        }
      if (frame <= 0)
        {
          if (frame < 0)
            check_decode_error (error);
          break;
        }
      FUZZ_CHECK ((gsize) frame >= have && frame <= WS_MESSAGE_MAX_SIZE);
      if ((gsize) frame - have > size - pos)
        break;
      memcpy (buf + have, data + pos, frame - have);
      pos += frame - have;
      if (!ws_message_decode (buf, frame, &msg, NULL, &error))
        {
          /* Both ends drop the connection on the first bad message. */
          check_decode_error (error);
          break;
        }
      client_handle (&client, &msg);
    }
  client_clear (&client);
}

/* Use 4: the input as the text of an ERROR we send. Error texts quote what
 * peers sent (a key name, a value), so the sender's cut to 124 bytes must
 * hold for any text: the longest valid UTF-8 prefix that fits, cut on a
 * character boundary, which the receiver reads back unchanged. */
static void
encode_error_text (const guint8 *data,
                   gsize         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  const char *valid_end = NULL;
  WsMessage msg, back;
  gsize len, n;

  ws_message_init_error (&msg, WS_PROTOCOL_ERROR_INVALID_VALUE, 7, text);
  len = strlen (msg.u.error.text);
  g_utf8_validate (text, -1, &valid_end);
  FUZZ_CHECK (len <= WS_ERROR_TEXT_SIZE);
  FUZZ_CHECK (len <= (gsize) (valid_end - text));
  FUZZ_CHECK (strncmp (msg.u.error.text, text, len) == 0);
  FUZZ_CHECK (g_utf8_validate (msg.u.error.text, len, NULL));
  /* Nothing more would have fitted. */
  if (text + len < valid_end)
    FUZZ_CHECK (g_utf8_next_char (text + len) - text > WS_ERROR_TEXT_SIZE);

  n = ws_message_encode (&msg, buf, sizeof buf);
  FUZZ_CHECK (n == WS_V2_HEADER_SIZE + 4 + WS_ERROR_TEXT_SIZE);
  FUZZ_CHECK (ws_message_decode (buf, n, &back, NULL, NULL));
  FUZZ_CHECK (memcmp (&back, &msg, sizeof back) == 0);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  decode_whole (data, size);
  decode_as_every_type (data, size);
  decode_stream (data, size);
  encode_error_text (data, size);
  return 0;
}
