/* ws-report-wire.h — a minimal report sender, byte for byte on WsChannel
 *
 * What an agent does on the wire (docs/PROTOCOL.md section 10), no more:
 * HELLO, AUTH, COLLECT, then REPORT and CONFIG_GET frames out and ACK,
 * CONFIG and ERROR frames in. Shared by tests/test-collector.c and the
 * load generator of bench/collector.sh; the real agent is src/monitor/.
 * Every wait has a deadline: a test fails, it does not hang.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-frame.h"
#include "ws-report.h"
#include "ws-time.h"

#ifndef WIRE_TIMEOUT_NS
#define WIRE_TIMEOUT_NS (30 * WS_NSEC_PER_SEC)
#endif

typedef struct {
  GSocketConnection *connection;
  WsChannel *channel;
  WsHelloReply reply;
  WsCollectAccept accept;  /* after wire_collect() returned TRUE */
  WsErrorMessage refusal;  /* after it returned FALSE with an ERROR */
  gboolean refused;
} Wire;

static inline gint64
wire_deadline (void)
{
  return ws_now_ns () + WIRE_TIMEOUT_NS;
}

static inline void
wire_free (Wire *w)
{
  g_clear_object (&w->channel);
  if (w->connection != NULL)
    g_io_stream_close (G_IO_STREAM (w->connection), NULL, NULL);
  g_clear_object (&w->connection);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Wire, wire_free)

/* A TCP connection to 127.0.0.1:@port from @source (NULL: any), with TLS
 * pinned to @fingerprint (NULL: plaintext). */
static inline Wire *
wire_connect (guint16      port,
              const char  *source,
              const char  *fingerprint,
              GError     **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(Wire) w = g_new0 (Wire, 1);
  GSocket *socket;

  g_socket_client_set_timeout (client, 30);
  if (source != NULL)
    {
      g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string (source, 0);
      g_socket_client_set_local_address (client, local);
    }
  w->connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, error);
  if (w->connection == NULL)
    return NULL;
  socket = g_socket_connection_get_socket (w->connection);
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  w->channel = ws_channel_new (socket);
  if (fingerprint != NULL)
    {
      g_autoptr(GSocketConnectable) identity =
        G_SOCKET_CONNECTABLE (g_inet_socket_address_new_from_string ("127.0.0.1", port));
      WsTlsClientOptions options = { NULL, fingerprint };

      if (!ws_channel_connect_tls (w->channel, identity, &options, wire_deadline (), NULL, error))
        return NULL;
    }
  return g_steal_pointer (&w);
}

static inline gboolean
wire_send (Wire          *w,
           WsMessage     *msg,
           GError       **error)
{
  return ws_channel_send_message (w->channel, msg, wire_deadline (), NULL, error);
}

/* The next control message; an ERROR is kept in w->refusal. */
static inline gboolean
wire_read (Wire          *w,
           WsMessage     *msg,
           GError       **error)
{
  if (!ws_channel_read_message (w->channel, msg, wire_deadline (), NULL, error))
    return FALSE;
  if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_ERROR)
    {
      w->refused = TRUE;
      w->refusal = msg->u.error;
    }
  return TRUE;
}

/* HELLO (@caps), HELLO_REPLY, AUTH as @name with @secret (if the server
 * asks), COLLECT (@flags). TRUE: COLLECT_ACCEPT came (w->accept). FALSE
 * with w->refused: the server's ERROR is in w->refusal; else @error. */
static inline gboolean
wire_collect (Wire        *w,
              guint32      caps,
              const char  *name,
              const char  *secret,
              guint16      flags,
              GError     **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  msg.u.hello.capabilities = caps;
  if (!wire_send (w, &msg, error) || !wire_read (w, &msg, error) || w->refused)
    return FALSE;
  g_assert_cmpint (msg.type, ==, WS_MSG_HELLO_REPLY);
  w->reply = msg.u.hello_reply;
  if (w->reply.flags & WS_HELLO_FLAG_AUTH_REQUIRED)
    {
      ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_AUTH);
      g_strlcpy (msg.u.auth.name, name, sizeof msg.u.auth.name);
      ws_auth_compute (msg.u.auth.name, secret, w->reply.nonce, msg.u.auth.mac);
      if (!wire_send (w, &msg, error))
        return FALSE;
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_COLLECT);
  msg.u.collect.report_version = WS_REPORT_VERSION;
  msg.u.collect.flags = flags;
  if (!wire_send (w, &msg, error) || !wire_read (w, &msg, error) || w->refused)
    return FALSE;
  g_assert_cmpint (msg.type, ==, WS_MSG_COLLECT_ACCEPT);
  w->accept = msg.u.collect_accept;
  return TRUE;
}

static inline gboolean
wire_send_frame (Wire          *w,
                 WsFrameType    type,
                 const void    *payload,
                 gsize          len,
                 GError       **error)
{
  guint8 head[WS_FRAME_HEADER_SIZE];

  ws_frame_header_encode (type, len, head);
  return ws_channel_write_all (w->channel, head, sizeof head, wire_deadline (), NULL, error)
         && ws_channel_write_all (w->channel, payload, len, wire_deadline (), NULL, error);
}

static inline gboolean
wire_send_report (Wire        *w,
                  const char  *json,
                  GError     **error)
{
  return wire_send_frame (w, WS_FRAME_REPORT, json, strlen (json), error);
}

/* The next frame; its payload to g_free(). */
static inline gboolean
wire_read_frame (Wire           *w,
                 WsFrameHeader  *header,
                 guint8        **payload,
                 GError        **error)
{
  return ws_channel_read_frame (w->channel, WS_REPORT_MAX_MAX, header, payload, wire_deadline (),
                                NULL, error);
}

/* The next frame, which must be an ACK. */
static inline gboolean
wire_read_ack (Wire     *w,
               WsAck    *ack,
               GError  **error)
{
  g_autofree guint8 *payload = NULL;
  WsFrameHeader header;

  if (!wire_read_frame (w, &header, &payload, error))
    return FALSE;
  if (header.type != WS_FRAME_ACK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "frame 0x%02x where an ACK was due",
                   header.type);
      return FALSE;
    }
  return ws_ack_decode (payload, header.length, ack, error);
}

/* A SPEED result of known figures, started @start_unix. */
static inline WsResult *
wire_speed_result (const char *target,
                   gint64      start_unix)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (target);
  r->port = 5201;
  r->mode = WS_TEST_SPEED;
  r->direction = WS_DIRECTION_BIDIR;
  r->streams = 4;
  r->duration_s = 10;
  r->start_time = g_date_time_new_from_unix_utc (start_unix);
  r->elapsed_s = r->upload_s = r->download_s = 10;
  r->download.measured = r->upload.measured = TRUE;
  r->download.receiver_bytes = r->download.sender_bytes = 125000000;
  r->upload.receiver_bytes = r->upload.sender_bytes = 25000000;
  return r;
}

/* A report's JSON: a fresh id (to *id, if asked), @agent (NULL: not
 * named), a speed result against @target. */
static inline char *
wire_report_json (const char  *agent,
                  const char  *target,
                  char       **id)
{
  g_autofree char *uuid = g_uuid_string_random ();
  WsResult *result = wire_speed_result (target, g_get_real_time () / G_USEC_PER_SEC - 60);
  g_autoptr(WsReport) report = ws_report_new (uuid, agent, result);

  ws_result_unref (result);
  report->local_address = g_strdup ("127.0.0.1:40000");
  report->seen_address = g_strdup ("127.0.0.1:40000");
  report->server_tests = 0;
  if (id != NULL)
    *id = g_steal_pointer (&uuid);
  return ws_report_to_json (report);
}
