/* ws-test-collector.h — a TEST PEER: a small collector written in the test
 *
 * Not the product's collector (`wirespeed --server --collect`, built on
 * another branch): just enough of PROTOCOL.md section 10 on top of
 * ws-frame.h, WsChannel and WsStore to take an agent's reports over TLS
 * and AUTH, store them in SQLite, and misbehave on purpose: answer RETRY
 * or REJECTED, drop a connection after storing a report but before its
 * ACK (so the agent resends it: a duplicate), send an ERROR frame, or
 * claim no REPORTS capability. One thread accepts, one thread per
 * connection, blocking I/O under deadlines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>

#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-frame.h"
#include "ws-store.h"
#include "ws-time.h"

#define TC_TIMEOUT_NS (30 * WS_NSEC_PER_SEC)

typedef struct {
  /* Behaviour, set before start */
  guint window;
  guint retry_first;       /* RETRY the first N REPORTs */
  guint reject_first;      /* REJECTED the first N */
  guint drop_after_store;  /* close without ACK after storing the first N */
  gboolean hold_acks;      /* store, then never answer */
  gboolean no_reports_cap;
  const char *error_text;  /* ERROR frame after COLLECT_ACCEPT */
  const char *central;     /* CONFIG NEW with this text; NULL: NONE */

  /* Set up by tc_start */
  GSocket *listener;
  guint16 port;
  GTlsCertificate *certificate;
  WsAuth *auth;
  WsStore *store;
  GCancellable *stop;
  GThread *accept_thread;
  GMutex lock;
  GPtrArray *threads;
  GPtrArray *rejected_ids;  /* char * */

  /* Counters, under lock */
  guint reports;            /* REPORT frames read */
  guint connections;
  guint authenticated;
  guint acks[4];            /* by WsAckStatus */
  guint config_gets;
} TestCollector;

/* A port of its own, bound now: connections are refused until
 * tc_start() listens on it. */
static void
tc_bind (TestCollector *tc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  tc->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (tc->listener, address, TRUE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (tc->listener, &error);
  g_assert_no_error (error);
  tc->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
tc_init (TestCollector *tc,
         const char    *store_path,
         const char    *keys,
         const char    *cert,
         const char    *key)
{
  g_autoptr(GError) error = NULL;

  memset (tc, 0, sizeof *tc);
  tc->window = 4;
  g_mutex_init (&tc->lock);
  tc->threads = g_ptr_array_new ();
  tc->rejected_ids = g_ptr_array_new_with_free_func (g_free);
  tc->stop = g_cancellable_new ();
  tc->store = ws_store_open (store_path, &error);
  g_assert_no_error (error);
  tc->auth = ws_auth_new_from_data (keys, "test keys", &error);
  g_assert_no_error (error);
  tc->certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  tc_bind (tc);
}

typedef struct {
  TestCollector *tc;
  GSocket *socket;
  WsChannel *channel;
} TcConn;

static gboolean
tc_handshake (TcConn *c)
{
  TestCollector *tc = c->tc;
  guint8 nonce[WS_NONCE_SIZE];
  WsMessage msg;
  gint64 deadline = ws_now_ns () + TC_TIMEOUT_NS;

  if (!ws_channel_accept_tls (c->channel, tc->certificate, deadline, tc->stop, NULL)
      || !ws_channel_read_message (c->channel, &msg, deadline, tc->stop, NULL)
      || msg.type != WS_MSG_HELLO)
    return FALSE;
  g_assert_cmphex (msg.u.hello.capabilities & WS_CAP_REPORTS, ==, WS_CAP_REPORTS);
  g_assert_true (getrandom (nonce, sizeof nonce, 0) == sizeof nonce);
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO_REPLY);
  msg.u.hello_reply.version = WS_PROTOCOL_V2;
  msg.u.hello_reply.capabilities = tc->no_reports_cap ? 0 : WS_CAP_REPORTS;
  msg.u.hello_reply.flags = WS_HELLO_FLAG_AUTH_REQUIRED;
  memcpy (msg.u.hello_reply.nonce, nonce, sizeof nonce);
  if (!ws_channel_send_message (c->channel, &msg, deadline, tc->stop, NULL)
      || !ws_channel_read_message (c->channel, &msg, deadline, tc->stop, NULL))
    return FALSE;
  if (msg.type != WS_MSG_AUTH || !ws_auth_verify (tc->auth, msg.u.auth.name, nonce, msg.u.auth.mac))
    {
      ws_channel_send_error (c->channel, WS_PROTOCOL_ERROR_AUTH_FAILED, 0, "Authentication failed");
      return FALSE;
    }
  g_mutex_lock (&tc->lock);
  tc->authenticated++;
  g_mutex_unlock (&tc->lock);
  if (!ws_channel_read_message (c->channel, &msg, deadline, tc->stop, NULL) || msg.type != WS_MSG_COLLECT)
    return FALSE;
  g_assert_cmpuint (msg.u.collect.report_version, ==, 1);
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_COLLECT_ACCEPT);
  msg.u.collect_accept.max_report = WS_REPORT_DEFAULT_MAX;
  msg.u.collect_accept.window = tc->window;
  return ws_channel_send_message (c->channel, &msg, deadline, tc->stop, NULL);
}

static gboolean
tc_send_config (TcConn        *c,
                const guint8  *payload,
                guint32        len)
{
  TestCollector *tc = c->tc;
  g_autoptr(GBytes) frame = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  gboolean same = FALSE;

  g_assert_cmpuint (len, ==, WS_FRAME_DIGEST_SIZE);
  if (tc->central != NULL)
    {
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

      g_checksum_update (sum, (const guchar *) tc->central, -1);
      g_checksum_get_digest (sum, digest, &digest_len);
      same = memcmp (digest, payload, sizeof digest) == 0;
    }
  frame = ws_config_encode (tc->central == NULL ? WS_CONFIG_NONE : same ? WS_CONFIG_UNCHANGED
                            : WS_CONFIG_NEW, tc->central);
  g_mutex_lock (&tc->lock);
  tc->config_gets++;
  g_mutex_unlock (&tc->lock);
  return ws_channel_write_all (c->channel, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame),
                               ws_now_ns () + TC_TIMEOUT_NS, tc->stop, NULL);
}

/* What to answer the n-th REPORT (0-based), before storing it. */
static WsAckStatus
tc_decide (TestCollector *tc,
           guint          n)
{
  if (n < tc->retry_first)
    return WS_ACK_RETRY;
  if (n < tc->retry_first + tc->reject_first)
    return WS_ACK_REJECTED;
  return WS_ACK_STORED;
}

/* FALSE: close the connection now. */
static gboolean
tc_take_report (TcConn       *c,
                const guint8 *payload,
                guint32       len)
{
  TestCollector *tc = c->tc;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsReport) report = ws_report_new_from_json ((const char *) payload, len, &error);
  guint8 frame[WS_FRAME_HEADER_SIZE + WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX];
  WsStoreOutcome outcome = WS_STORE_NEW;
  WsAckStatus status;
  gboolean drop = FALSE, hold;
  guint8 id[WS_REPORT_ID_SIZE];
  WsAck ack;
  guint n;

  g_assert_no_error (error);
  g_assert_true (ws_report_id_to_bytes (report->id, id));
  g_mutex_lock (&tc->lock);
  n = tc->reports++;
  g_mutex_unlock (&tc->lock);
  status = tc_decide (tc, n);
  if (status == WS_ACK_STORED)
    {
      g_assert_true (ws_store_add (tc->store, report, &outcome, &error));
      g_assert_no_error (error);
      if (outcome == WS_STORE_DUPLICATE)
        status = WS_ACK_DUPLICATE;
      drop = n < tc->retry_first + tc->reject_first + tc->drop_after_store;
    }
  g_mutex_lock (&tc->lock);
  if (status == WS_ACK_REJECTED)
    g_ptr_array_add (tc->rejected_ids, g_strdup (report->id));
  hold = tc->hold_acks;
  if (!drop && !hold)
    tc->acks[status]++;
  g_mutex_unlock (&tc->lock);
  if (drop)
    return FALSE;
  if (hold)
    return TRUE;
  ws_ack_init (&ack, id, status, status == WS_ACK_RETRY ? 1 : 0,
               status == WS_ACK_REJECTED ? "Test peer rejects this one" : status == WS_ACK_RETRY
               ? "Test peer is busy" : NULL);
  return ws_channel_write_all (c->channel, frame, ws_ack_encode (&ack, frame, sizeof frame),
                               ws_now_ns () + TC_TIMEOUT_NS, tc->stop, NULL);
}

static void
tc_serve_frames (TcConn *c)
{
  TestCollector *tc = c->tc;

  if (tc->error_text != NULL)
    {
      ws_channel_send_frame_error (c->channel, WS_PROTOCOL_ERROR_ACCESS_DENIED, tc->error_text);
      return;
    }
  for (;;)
    {
      g_autofree guint8 *payload = NULL;
      WsFrameHeader header;
      gboolean ok;

      if (!ws_channel_read_frame (c->channel, WS_REPORT_DEFAULT_MAX, &header, &payload,
                                  ws_now_ns () + TC_TIMEOUT_NS, tc->stop, NULL))
        return;
      if (header.type == WS_FRAME_CONFIG_GET)
        ok = tc_send_config (c, payload, header.length);
      else if (header.type == WS_FRAME_REPORT)
        ok = tc_take_report (c, payload, header.length);
      else
        ok = FALSE;
      if (!ok)
        return;
    }
}

static gpointer
tc_conn_thread (gpointer data)
{
  TcConn *c = data;

  g_mutex_lock (&c->tc->lock);
  c->tc->connections++;
  g_mutex_unlock (&c->tc->lock);
  if (tc_handshake (c))
    tc_serve_frames (c);
  g_object_unref (c->channel);
  g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  g_free (c);
  return NULL;
}

static gpointer
tc_accept_thread (gpointer data)
{
  TestCollector *tc = data;

  for (;;)
    {
      GSocket *socket = g_socket_accept (tc->listener, tc->stop, NULL);
      TcConn *c;

      if (socket == NULL)
        return NULL;
      g_socket_set_blocking (socket, FALSE);
      c = g_new0 (TcConn, 1);
      c->tc = tc;
      c->socket = socket;
      c->channel = ws_channel_new (socket);
      g_mutex_lock (&tc->lock);
      g_ptr_array_add (tc->threads, g_thread_new ("tc-conn", tc_conn_thread, c));
      g_mutex_unlock (&tc->lock);
    }
}

static void
tc_start (TestCollector *tc)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_listen (tc->listener, &error));
  g_assert_no_error (error);
  tc->accept_thread = g_thread_new ("tc-accept", tc_accept_thread, tc);
}

static char *
tc_address (const TestCollector *tc)
{
  return g_strdup_printf ("127.0.0.1:%u", tc->port);
}

static void
tc_clear (TestCollector *tc)
{
  g_cancellable_cancel (tc->stop);
  if (tc->accept_thread != NULL)
    g_thread_join (tc->accept_thread);
  for (guint i = 0; i < tc->threads->len; i++)
    g_thread_join (tc->threads->pdata[i]);
  g_ptr_array_unref (tc->threads);
  g_ptr_array_unref (tc->rejected_ids);
  g_socket_close (tc->listener, NULL);
  g_object_unref (tc->listener);
  g_object_unref (tc->certificate);
  ws_auth_unref (tc->auth);
  g_object_unref (tc->store);
  g_object_unref (tc->stop);
  g_mutex_clear (&tc->lock);
}
