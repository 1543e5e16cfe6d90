/* ws-iperf3.c — iperf3's control protocol: constants and pure codecs
 *
 * Written from iperf3's protocol as its sources describe it; no iperf3 code.
 * Everything from the peer is untrusted: sizes are bounded by the caller,
 * every JSON value is type- and range-checked here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ws-iperf3.h"
#include "ws-json.h"

static const char cookie_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

gboolean
ws_iperf3_is_cookie_char (int c)
{
  return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

gboolean
ws_iperf3_cookie_is_valid (const guint8 *cookie,
                           gsize         len)
{
  if (len != WS_IPERF3_COOKIE_SIZE || cookie[WS_IPERF3_COOKIE_SIZE - 1] != '\0')
    return FALSE;
  for (gsize i = 0; i < WS_IPERF3_COOKIE_SIZE - 1; i++)
    if (!ws_iperf3_is_cookie_char (cookie[i]))
      return FALSE;
  return TRUE;
}

void
ws_iperf3_make_cookie (char cookie[WS_IPERF3_COOKIE_SIZE])
{
  for (gsize i = 0; i < WS_IPERF3_COOKIE_SIZE - 1; i++)
    cookie[i] = cookie_alphabet[g_random_int_range (0, 32)];
  cookie[WS_IPERF3_COOKIE_SIZE - 1] = '\0';
}

void
ws_iperf3_params_clear (WsIperf3Params *params)
{
  g_clear_pointer (&params->client_version, g_free);
  memset (params, 0, sizeof *params);
}

/* A non-negative number no larger than @max, as iperf3's cJSON writes
 * them (integers, or doubles for big values). */
static gboolean
get_uint (JsonObject  *o,
          const char  *key,
          guint64      max,
          guint64     *value,
          GError     **error)
{
  JsonNode *node = json_object_get_member (o, key);
  gdouble d;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_INT64
          && json_node_get_value_type (node) != G_TYPE_DOUBLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a number", key);
      return FALSE;
    }
  d = json_node_get_value_type (node) == G_TYPE_INT64
      ? (gdouble) json_node_get_int (node) : json_node_get_double (node);
  /* Compared as integers: (gdouble) G_MAXINT64 rounds up to 2^63, which
   * the builder could not write back. */
  if (!(d >= 0 && d < 0x1p64) || (guint64) d > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is out of range", key);
      return FALSE;
    }
  *value = (guint64) d;
  return TRUE;
}

/* Options a client may ask for that we do not do, with the i_errno whose
 * text the iperf3 client prints, and our own reason for the log. */
static const struct {
  const char *key;
  int ie;
  const char *reason;
} unsupported[] = {
  { "sctp", WS_IPERF3_IE_PROTOCOL, "SCTP is not supported" },
  { "MSS", WS_IPERF3_IE_SETMSS, "setting the MSS (-M) is not supported" },
  { "TOS", WS_IPERF3_IE_SETTOS, "setting the TOS/DSCP (-S) is not supported" },
  { "flowlabel", WS_IPERF3_IE_SETFLOW, "IPv6 flow labels (-L) are not supported" },
  { "congestion", WS_IPERF3_IE_SETCONGESTION, "choosing the congestion control (-C) is not supported" },
  { "fqrate", WS_IPERF3_IE_SETPACING, "fair-queue pacing (--fq-rate) is not supported" },
  { "authtoken", WS_IPERF3_IE_AUTHTEST, "iperf3 authentication (--username) is not supported" },
  { "blockcount", WS_IPERF3_IE_UNIMP, "a block count (-k) is not supported: use -n or -t" },
  { "burst", WS_IPERF3_IE_UNIMP, "bursts (-b RATE/BURST) are not supported" },
};

/* Whether @key asks for something: iperf3 3.12 sends "num" and
 * "blockcount" as 0 when they are not used. */
static gboolean
member_set (JsonObject *o,
            const char *key)
{
  JsonNode *node = json_object_get_member (o, key);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return TRUE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node) != 0;
    case G_TYPE_DOUBLE:
      return json_node_get_double (node) != 0;
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean (node);
    case G_TYPE_STRING:
      return *json_node_get_string (node) != '\0';
    default:
      return TRUE;
    }
}

/* The first option we do not do that @o asks for, or FALSE. */
static gboolean
refuse_unsupported (JsonObject  *o,
                    int         *ie_errno,
                    GError     **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
    if (member_set (o, unsupported[i].key))
      {
        *ie_errno = unsupported[i].ie;
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, unsupported[i].reason);
        return TRUE;
      }
  return FALSE;
}

/* A count into a narrower field, keeping its default when @key is absent. */
static gboolean
get_guint (JsonObject  *o,
           const char  *key,
           guint64      max,
           guint       *field,
           GError     **error)
{
  guint64 v = *field;

  if (!get_uint (o, key, max, &v, error))
    return FALSE;
  *field = v;
  return TRUE;
}

static gboolean
read_numbers (JsonObject      *o,
              WsIperf3Params  *params,
              GError         **error)
{
  guint64 max_len = params->udp ? WS_IPERF3_MAX_UDP_LEN : WS_IPERF3_MAX_TCP_LEN;

  params->parallel = 1;
  params->time_s = 10;
  params->len = params->udp ? WS_IPERF3_DEFAULT_UDP_LEN : WS_IPERF3_DEFAULT_TCP_LEN;
  if (!get_guint (o, "omit", 600, &params->omit_s, error)
      || !get_guint (o, "time", WS_IPERF3_MAX_TIME, &params->time_s, error)
      || !get_uint (o, "num", G_MAXINT64, &params->bytes, error)
      || !get_guint (o, "parallel", WS_IPERF3_MAX_STREAMS, &params->parallel, error)
      || !get_guint (o, "len", max_len, &params->len, error)
      || !get_uint (o, "bandwidth", G_MAXINT64, &params->bandwidth, error)
      || !get_guint (o, "window", 256 * 1024 * 1024, &params->window, error))
    return FALSE;
  params->parallel = MAX (params->parallel, 1);
  return TRUE;
}

/* Options that make no test together. */
static gboolean
check_params (const WsIperf3Params  *params,
              int                   *ie_errno,
              GError               **error)
{
  if (params->reverse && params->bidirectional)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "both reverse and bidirectional");
      return FALSE;
    }
  if (params->udp && params->len < ws_iperf3_udp_header_size (params->udp_counters_64bit))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "UDP length shorter than its header");
      return FALSE;
    }
  if (params->time_s == 0 && params->bytes == 0)
    {
      *ie_errno = WS_IPERF3_IE_UNIMP;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "a test without an end (-t 0)");
      return FALSE;
    }
  return TRUE;
}

/* At most 32 bytes, cut where a character starts: still UTF-8. */
static char *
read_client_version (JsonObject *o)
{
  JsonNode *node = json_object_get_member (o, "client_version");
  const char *version;
  const char *end;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  version = json_node_get_string (node);
  g_utf8_validate (version, strnlen (version, 32), &end);
  return g_strndup (version, end - version);
}

/**
 * ws_iperf3_parse_params:
 * @ie_errno: (out): the i_errno to send back when this fails
 *
 * Unknown keys are ignored, as iperf3 does; options we do not implement
 * fail with a reason, never silently.
 */
gboolean
ws_iperf3_parse_params (const char      *json,
                        gsize            len,
                        WsIperf3Params  *params,
                        int             *ie_errno,
                        GError         **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *o;

  memset (params, 0, sizeof *params);
  *ie_errno = WS_IPERF3_IE_RECVPARAMS;
  if (len > WS_IPERF3_JSON_MAX)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "parameters too long");
      return FALSE;
    }
  root = ws_json_parse_bytes (json, len, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "parameters are not a JSON object");
      return FALSE;
    }
  o = json_node_get_object (root);
  if (refuse_unsupported (o, ie_errno, error))
    return FALSE;

  params->udp = json_object_has_member (o, "udp");
  params->reverse = json_object_has_member (o, "reverse");
  params->bidirectional = json_object_has_member (o, "bidirectional");
  params->get_server_output = json_object_has_member (o, "get_server_output");
  params->udp_counters_64bit = json_object_has_member (o, "udp_counters_64bit");
  params->nodelay = json_object_has_member (o, "nodelay");
  if (!read_numbers (o, params, error) || !check_params (params, ie_errno, error))
    return FALSE;
  params->client_version = read_client_version (o);
  *ie_errno = 0;
  return TRUE;
}

/* The client side: what iperf3's own client sends. */
char *
ws_iperf3_build_params (const WsIperf3Params *p)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, p->udp ? "udp" : "tcp");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "omit");
  json_builder_add_int_value (b, p->omit_s);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, p->time_s);
  if (p->bytes)
    {
      json_builder_set_member_name (b, "num");
      json_builder_add_int_value (b, p->bytes);
    }
  json_builder_set_member_name (b, "parallel");
  json_builder_add_int_value (b, p->parallel);
  if (p->reverse)
    {
      json_builder_set_member_name (b, "reverse");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (p->bidirectional)
    {
      json_builder_set_member_name (b, "bidirectional");
      json_builder_add_boolean_value (b, TRUE);
    }
  json_builder_set_member_name (b, "len");
  json_builder_add_int_value (b, p->len);
  if (p->bandwidth)
    {
      json_builder_set_member_name (b, "bandwidth");
      json_builder_add_int_value (b, p->bandwidth);
    }
  json_builder_set_member_name (b, "pacing_timer");
  json_builder_add_int_value (b, 1000);
  if (p->udp_counters_64bit)
    {
      json_builder_set_member_name (b, "udp_counters_64bit");
      json_builder_add_int_value (b, 1);
    }
  json_builder_set_member_name (b, "client_version");
  json_builder_add_string_value (b, p->client_version ? p->client_version : "3.12");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

guint
ws_iperf3_n_streams (const WsIperf3Params *params)
{
  return params->parallel * (params->bidirectional ? 2 : 1);
}

/* iperf3 numbers streams by their place in its list: 1, then 3, 4, 5…
 * (2 is skipped); both ends count the same way. */
guint
ws_iperf3_stream_id (guint index)
{
  return index == 0 ? 1 : index + 2;
}

WsIperf3Results *
ws_iperf3_results_new (void)
{
  WsIperf3Results *r = g_new0 (WsIperf3Results, 1);

  r->sender_has_retransmits = -1;
  r->streams = g_array_new (FALSE, TRUE, sizeof (WsIperf3StreamResult));
  return r;
}

void
ws_iperf3_results_free (WsIperf3Results *results)
{
  if (results == NULL)
    return;
  g_array_unref (results->streams);
  g_free (results->server_output_text);
  g_free (results);
}

char *
ws_iperf3_results_build (const WsIperf3Results *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cpu_util_total");
  json_builder_add_double_value (b, r->cpu_total);
  json_builder_set_member_name (b, "cpu_util_user");
  json_builder_add_double_value (b, r->cpu_user);
  json_builder_set_member_name (b, "cpu_util_system");
  json_builder_add_double_value (b, r->cpu_system);
  json_builder_set_member_name (b, "sender_has_retransmits");
  json_builder_add_int_value (b, r->sender_has_retransmits);
  if (r->server_output_text != NULL)
    {
      json_builder_set_member_name (b, "server_output_text");
      json_builder_add_string_value (b, r->server_output_text);
    }
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->streams->len; i++)
    {
      const WsIperf3StreamResult *s = &g_array_index (r->streams, WsIperf3StreamResult, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, s->id);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, s->bytes);
      json_builder_set_member_name (b, "retransmits");
      json_builder_add_int_value (b, s->retransmits);
      json_builder_set_member_name (b, "jitter");
      json_builder_add_double_value (b, s->jitter_s);
      json_builder_set_member_name (b, "errors");
      json_builder_add_int_value (b, s->errors);
      json_builder_set_member_name (b, "packets");
      json_builder_add_int_value (b, s->packets);
      json_builder_set_member_name (b, "start_time");
      json_builder_add_double_value (b, s->start_time);
      json_builder_set_member_name (b, "end_time");
      json_builder_add_double_value (b, s->end_time);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  /* iperf3 could not read json-glib's "1e-05.0". */
  ws_json_fix_doubles (root);
  return json_to_string (root, FALSE);
}

static gdouble
get_number (JsonObject *o,
            const char *key,
            gboolean   *ok)
{
  JsonNode *node = json_object_get_member (o, key);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      GType t = json_node_get_value_type (node);

      if (t == G_TYPE_INT64)
        return json_node_get_int (node);
      /* 1e999 parses as infinity, which JSON cannot hold when written again. */
      if (t == G_TYPE_DOUBLE && isfinite (json_node_get_double (node)))
        return json_node_get_double (node);
    }
  *ok = FALSE;
  return 0;
}

WsIperf3Results *
ws_iperf3_results_parse (const char  *json,
                         gsize        len,
                         GError     **error)
{
  g_autoptr(WsIperf3Results) r = ws_iperf3_results_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonNode *node;
  JsonObject *o;
  JsonArray *streams;
  gboolean ok = TRUE;
  gdouble has_retransmits;

  if (len > WS_IPERF3_JSON_MAX)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "results too long");
      return NULL;
    }
  root = ws_json_parse_bytes (json, len, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  o = json_node_get_object (root);
  r->cpu_total = get_number (o, "cpu_util_total", &ok);
  r->cpu_user = get_number (o, "cpu_util_user", &ok);
  r->cpu_system = get_number (o, "cpu_util_system", &ok);
  /* iperf3 sends its -1 as 2^64 - 1, as it does a stream's retransmits. */
  has_retransmits = get_number (o, "sender_has_retransmits", &ok);
  r->sender_has_retransmits = has_retransmits >= G_MININT && has_retransmits <= G_MAXINT
                              ? (gint) has_retransmits : -1;
  node = json_object_get_member (o, "streams");
  if (!ok || node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  streams = json_node_get_array (node);
  if (json_array_get_length (streams) > 2 * WS_IPERF3_MAX_STREAMS)
    goto bad;
  for (guint i = 0; i < json_array_get_length (streams); i++)
    {
      JsonNode *sn = json_array_get_element (streams, i);
      WsIperf3StreamResult s = { 0 };
      JsonObject *so;
      gboolean sok = TRUE;
      gdouble id, bytes, retransmits, errors, packets;

      if (!JSON_NODE_HOLDS_OBJECT (sn))
        goto bad;
      so = json_node_get_object (sn);
      id = get_number (so, "id", &ok);
      bytes = get_number (so, "bytes", &ok);
      retransmits = get_number (so, "retransmits", &ok);
      s.jitter_s = get_number (so, "jitter", &ok);
      errors = get_number (so, "errors", &ok);
      packets = get_number (so, "packets", &ok);
      s.start_time = get_number (so, "start_time", &sok);
      s.end_time = get_number (so, "end_time", &sok);
      if (!ok || id < 0 || id > 65535 || bytes < 0 || errors < 0 || packets < 0
          || !(bytes < 0x1p63) || !(errors < 0x1p63) || !(packets < 0x1p63))
        goto bad;
      /* iperf3 writes its -1, "not known", through an unsigned 64-bit
       * integer: 18446744073709551615, or 1.8446744073709552e+19 once
       * cJSON has held it as a double. Whatever does not fit is that. */
      s.retransmits = retransmits >= -0x1p63 && retransmits < 0x1p63 ? (gint64) retransmits : -1;
      s.id = id;
      s.bytes = bytes;
      s.errors = errors;
      s.packets = packets;
      g_array_append_val (r->streams, s);
    }
  node = json_object_get_member (o, "server_output_text");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    r->server_output_text = g_strdup (json_node_get_string (node));
  return g_steal_pointer (&r);

bad:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed iperf3 results");
  return NULL;
}

gsize
ws_iperf3_udp_header_size (gboolean counters_64bit)
{
  return counters_64bit ? 16 : 12;
}

void
ws_iperf3_udp_header_write (guint8   *buf,
                            gboolean  counters_64bit,
                            guint64   time_us,
                            guint64   pcount)
{
  guint32 sec = GUINT32_TO_BE ((guint32) (time_us / G_USEC_PER_SEC));
  guint32 usec = GUINT32_TO_BE ((guint32) (time_us % G_USEC_PER_SEC));

  memcpy (buf, &sec, 4);
  memcpy (buf + 4, &usec, 4);
  if (counters_64bit)
    {
      guint64 be = GUINT64_TO_BE (pcount);
      memcpy (buf + 8, &be, 8);
    }
  else
    {
      guint32 be = GUINT32_TO_BE ((guint32) pcount);
      memcpy (buf + 8, &be, 4);
    }
}

gboolean
ws_iperf3_udp_header_read (const guint8 *buf,
                           gsize         len,
                           gboolean      counters_64bit,
                           guint64      *time_us,
                           guint64      *pcount)
{
  guint32 sec, usec;

  if (len < ws_iperf3_udp_header_size (counters_64bit))
    return FALSE;
  memcpy (&sec, buf, 4);
  memcpy (&usec, buf + 4, 4);
  *time_us = (guint64) GUINT32_FROM_BE (sec) * G_USEC_PER_SEC + GUINT32_FROM_BE (usec);
  if (counters_64bit)
    {
      guint64 be;
      memcpy (&be, buf + 8, 8);
      *pcount = GUINT64_FROM_BE (be);
    }
  else
    {
      guint32 be;
      memcpy (&be, buf + 8, 4);
      *pcount = GUINT32_FROM_BE (be);
    }
  return TRUE;
}

int
ws_iperf3_udp_connect_kind (const guint8 *buf,
                            gsize         len,
                            gboolean     *swapped)
{
  guint32 le, be;

  if (len != 4)
    return 0;
  memcpy (&le, buf, 4);
  le = GUINT32_FROM_LE (le);
  memcpy (&be, buf, 4);
  be = GUINT32_FROM_BE (be);
  *swapped = FALSE;
  if (le == WS_IPERF3_UDP_CONNECT_MSG)
    return 1;
  if (le == WS_IPERF3_LEGACY_UDP_CONNECT_MSG)
    return 2;
  *swapped = TRUE;
  if (be == WS_IPERF3_UDP_CONNECT_MSG)
    return 1;
  if (be == WS_IPERF3_LEGACY_UDP_CONNECT_MSG)
    return 2;
  return 0;
}

/* The reply in the value family and byte order the client used. */
void
ws_iperf3_udp_connect_reply (int       kind,
                             gboolean  swapped,
                             guint8    reply[4])
{
  guint32 v = kind == 2 ? WS_IPERF3_LEGACY_UDP_CONNECT_REPLY : WS_IPERF3_UDP_CONNECT_REPLY;

  v = swapped ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);
  memcpy (reply, &v, 4);
}

void
ws_iperf3_udp_rx_add (WsIperf3UdpRx *rx,
                      guint64        pcount,
                      gdouble        transit_s)
{
  /* Not pcount >= packet_count + 1: after 2^64 - 1 that would wrap. */
  if (pcount > rx->packet_count)
    {
      rx->errors += pcount - 1 - rx->packet_count;
      rx->packet_count = pcount;
    }
  else
    {
      /* Late: it was counted as lost when the gap opened. */
      rx->out_of_order++;
      if (rx->errors > 0)
        rx->errors--;
    }
  if (rx->have_transit)
    {
      gdouble d = transit_s - rx->prev_transit_s;

      if (d < 0)
        d = -d;
      rx->jitter_s += (d - rx->jitter_s) / 16.0;
    }
  rx->prev_transit_s = transit_s;
  rx->have_transit = TRUE;
}
