/* test-security.c — TLS on the control connection, and authentication
 *
 * Real servers and clients over loopback, with the certificates in
 * tests/tls (see make-certs.sh there): each way a certificate can be wrong
 * must be refused with its own reason, each right way must run a test
 * whose bytes add up, and a key must be checked without the secret ever
 * crossing the wire.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-error.h"
#include "ws-io.h"
#include "ws-test-util.h"
#include "ws-time.h"

static char *
fixture (const char *name)
{
  return g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", name, NULL);
}

static GTlsCertificate *
load_certificate (const char *name)
{
  g_autofree char *cert_name = g_strdup_printf ("%s.pem", name);
  g_autofree char *key_name = g_strdup_printf ("%s-key.pem", name);
  g_autofree char *cert = fixture (cert_name);
  g_autofree char *key = fixture (key_name);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (cert, key, &error);

  g_assert_no_error (error);
  return certificate;
}

static WsServer *
server_new (const char *certificate,
            gboolean    allow_plaintext,
            WsAuth     *auth)
{
  WsServer *server = ws_server_new ();
  g_autoptr(GError) error = NULL;

  ws_server_set_port (server, 0);
  ws_server_set_idle_timeout (server, 5);
  if (certificate != NULL)
    {
      g_autoptr(GTlsCertificate) c = load_certificate (certificate);
      ws_server_set_tls (server, c, allow_plaintext);
    }
  ws_server_set_auth (server, auth);
  g_assert_true (ws_server_start (server, &error));
  g_assert_no_error (error);
  return server;
}

/* A one-second upload; the caller adds the security settings. */
static void
config_for (WsTestConfig *config,
            WsServer     *server,
            const char   *target)
{
  ws_test_config_for (config, server, target, 1);
}

static void
run_ok (WsTestConfig *config)
{
  WsTestRun run = { 0 };

  ws_test_run (&run, config);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.result);
  g_assert_cmpuint (run.result->upload.receiver_bytes, >, 0);
  g_assert_cmpuint (run.result->upload.sender_bytes, ==, run.result->upload.receiver_bytes);
  ws_test_run_clear (&run);
}

/* Runs a test that must fail; returns its message. */
static char *
run_fails (WsTestConfig *config)
{
  WsTestRun run = { 0 };
  char *message;

  ws_test_run (&run, config);
  g_assert_null (run.result);
  g_assert_nonnull (run.error);
  message = g_strdup (run.error->message);
  g_test_message ("refused: %s", message);
  ws_test_run_clear (&run);
  return message;
}

static void
assert_fails_with (WsTestConfig *config,
                   const char   *expected)
{
  g_autofree char *message = run_fails (config);

  if (strstr (message, expected) == NULL)
    g_error ("expected “%s” in “%s”", expected, message);
}

/* Runs a test that must fail with @domain and @code, in words that name no
 * CLI flag: the GUI shows them too, and each face adds its own remedy. */
static void
assert_fails_as (WsTestConfig *config,
                 GQuark        domain,
                 gint          code,
                 const char   *expected)
{
  WsTestRun run = { 0 };

  ws_test_run (&run, config);
  g_assert_null (run.result);
  g_assert_error (run.error, domain, code);
  g_test_message ("refused: %s", run.error->message);
  if (strstr (run.error->message, expected) == NULL)
    g_error ("expected “%s” in “%s”", expected, run.error->message);
  g_assert_null (strstr (run.error->message, "--"));
  ws_test_run_clear (&run);
}

/* ---- TLS ---- */

static void
test_tls_ca (void)
{
  g_autoptr(WsServer) server = server_new ("server", FALSE, NULL);
  const char *targets[] = { "localhost", "127.0.0.1", "::1" };

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      WsTestConfig config;

      config_for (&config, server, targets[i]);
      config.tls = TRUE;
      config.tls_ca_file = fixture ("ca.pem");
      run_ok (&config);
      ws_test_config_clear (&config);
    }
}

/* Reports, UDP accounting and results all cross the TLS channel. */
static void
test_tls_modes (void)
{
  g_autoptr(WsServer) server = server_new ("server", FALSE, NULL);
  const WsTestMode modes[] = { WS_TEST_TCP_RR, WS_TEST_UDP_STREAM, WS_TEST_UDP_RR };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      WsTestConfig config;
      WsTestRun run = { 0 };

      config_for (&config, server, "localhost");
      config.mode = modes[i];
      config.tls = TRUE;
      config.tls_ca_file = fixture ("ca.pem");
      ws_test_run (&run, &config);
      g_assert_no_error (run.error);
      g_assert_cmpuint (run.result->samples->len, >=, 1);
      if (modes[i] == WS_TEST_UDP_STREAM)
        g_assert_cmpuint (run.result->upload.receiver_packets, >, 0);
      else
        g_assert_cmpuint (run.result->transactions, >, 0);
      ws_test_run_clear (&run);
      ws_test_config_clear (&config);
    }
}

static void
test_tls_pin (void)
{
  const char *names[] = { "server", "self" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GTlsCertificate) certificate = load_certificate (names[i]);
      g_autoptr(WsServer) server = server_new (names[i], FALSE, NULL);
      g_autofree char *fingerprint = ws_tls_certificate_fingerprint (certificate);
      g_autofree char *plain = NULL;
      WsTestConfig config;

      /* What the server prints, and the same without colons in lower case. */
      g_assert_cmpuint (strlen (fingerprint), ==, 95);
      config_for (&config, server, "localhost");
      config.tls = TRUE;
      config.tls_fingerprint = g_strdup (fingerprint);
      run_ok (&config);
      {
        g_autofree char *lower = g_ascii_strdown (fingerprint, -1);
        g_auto(GStrv) parts = g_strsplit (lower, ":", -1);

        plain = g_strjoinv ("", parts);
      }
      g_free (config.tls_fingerprint);
      config.tls_fingerprint = g_strdup (plain);
      run_ok (&config);

      /* One bit off */
      config.tls_fingerprint[0] = config.tls_fingerprint[0] == '0' ? '1' : '0';
      assert_fails_with (&config, "fingerprint mismatch");
      ws_test_config_clear (&config);
    }
}

static void
test_tls_refusals (void)
{
  const struct {
    const char *certificate;
    gboolean with_ca;
    const char *expected;
    GQuark domain;
    gint code;
  } cases[] = {
    { "self", FALSE, "unknown issuer", WS_CLIENT_ERROR, WS_CLIENT_ERROR_TLS_UNKNOWN_CA },
    { "self", TRUE, "unknown issuer", WS_CLIENT_ERROR, WS_CLIENT_ERROR_TLS_UNKNOWN_CA },
    { "server", FALSE, "unknown issuer", WS_CLIENT_ERROR, WS_CLIENT_ERROR_TLS_UNKNOWN_CA },
    { "expired", TRUE, "has expired", G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE },
    { "other", TRUE, "hostname mismatch", G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WsServer) server = server_new (cases[i].certificate, FALSE, NULL);
      WsTestConfig config;

      config_for (&config, server, "localhost");
      config.tls = TRUE;
      if (cases[i].with_ca)
        config.tls_ca_file = fixture ("ca.pem");
      assert_fails_as (&config, cases[i].domain, cases[i].code, cases[i].expected);
      ws_test_config_clear (&config);
    }
}

static void
test_tls_required (void)
{
  g_autoptr(WsServer) server = server_new ("server", FALSE, NULL);
  g_autoptr(WsServer) lenient = server_new ("server", TRUE, NULL);
  g_autoptr(WsServer) plain = server_new (NULL, FALSE, NULL);
  WsTestConfig config;

  config_for (&config, server, "localhost");
  assert_fails_as (&config, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TLS_REQUIRED, "requires TLS");
  ws_test_config_clear (&config);

  /* --allow-plaintext: both kinds on one port */
  config_for (&config, lenient, "localhost");
  run_ok (&config);
  config.tls = TRUE;
  config.tls_ca_file = fixture ("ca.pem");
  run_ok (&config);
  ws_test_config_clear (&config);

  /* A TLS client at a plaintext server is told what is likely wrong. */
  config_for (&config, plain, "localhost");
  config.tls = TRUE;
  assert_fails_as (&config, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS, "handshake failed");
  ws_test_config_clear (&config);
  config_for (&config, plain, "localhost");
  run_ok (&config);
  ws_test_config_clear (&config);
}

/* Someone who did not see the cookie cannot join a TLS session's test. */
static void
test_tls_stream_hijack (void)
{
  g_autoptr(WsServer) server = server_new ("server", FALSE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  GSocket *socket;
  WsMessage msg;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", ws_server_get_port (server), NULL, &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (connection);
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_STREAM_HELLO);
  memset (msg.u.stream_hello.cookie, 0x5a, WS_COOKIE_SIZE);
  g_assert_true (ws_io_send_message (socket, &msg, ws_now_ns () + WS_NSEC_PER_SEC * 5, NULL, &error));
  g_assert_true (ws_io_read_message (socket, &msg, ws_now_ns () + WS_NSEC_PER_SEC * 5, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msg.type, ==, WS_MSG_ERROR);
  g_assert_cmpuint (msg.u.error.code, ==, WS_PROTOCOL_ERROR_UNKNOWN_SESSION);
}

/* A peer that starts a handshake and says no more, or sends junk after
 * the first byte, costs its own connection only. */
static void
test_tls_garbage (void)
{
  g_autoptr(WsServer) server = server_new ("server", FALSE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) silent = NULL;
  g_autoptr(GSocketConnection) junk = NULL;
  const guint8 junk_bytes[] = { 0x16, 0x03, 0x01, 0xff, 0xff, 'n', 'o', 'p', 'e' };
  WsTestConfig config;

  silent = g_socket_client_connect_to_host (client, "127.0.0.1", ws_server_get_port (server), NULL, NULL);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (silent)), junk_bytes, 1, NULL, NULL, NULL);
  junk = g_socket_client_connect_to_host (client, "127.0.0.1", ws_server_get_port (server), NULL, NULL);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (junk)), junk_bytes, sizeof junk_bytes,
                             NULL, NULL, NULL);
  config_for (&config, server, "localhost");
  config.tls = TRUE;
  config.tls_ca_file = fixture ("ca.pem");
  run_ok (&config);
  ws_test_config_clear (&config);
}

/* Without glib-networking GIO has only its dummy TLS backend; an empty
 * module folder fakes that machine. The server and the client each say in
 * one line what is missing, and neither crashes nor hangs. */
static void
assert_no_tls_backend_line (const char * const *args,
                            int                 expected_status)
{
  g_autofree char *empty = g_dir_make_tmp ("wirespeed-no-gio-XXXXXX", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;

  g_subprocess_launcher_setenv (launcher, "GIO_MODULE_DIR", empty, TRUE);
  /* A critical must show up as a crash, not scroll by. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error));
  g_assert_no_error (error);
  g_rmdir (empty);
  g_test_message ("%s: %s", args[1], err);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, expected_status);
  lines = g_strsplit (g_strchomp (err), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_nonnull (strstr (lines[0], "TLS needs glib-networking"));
}

static void
test_tls_no_backend (void)
{
  const char *binary = g_getenv ("WIRESPEED");
  g_autofree char *cert = fixture ("server.pem");
  g_autofree char *key = fixture ("server-key.pem");
  const char *server[] = { binary, "--server", "--port", "0", "--tls-cert", cert, "--tls-key", key, NULL };
  /* The client gives up before it connects: no server is needed. */
  const char *client[] = { binary, "--client", "--target", "127.0.0.1", "--port", "9",
                           "--time", "1", "--tls", NULL };

  g_assert_nonnull (binary);
  assert_no_tls_backend_line (server, 1);
  assert_no_tls_backend_line (client, 1);
}

/* ---- Authentication ---- */

static WsAuth *
test_keys (void)
{
  g_autoptr(GError) error = NULL;
  WsAuth *auth = ws_auth_new_from_data ("# who may test\n\nalice:s3cret:with:colons\n  bob:hunter2  \n",
                                        "keys", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (ws_auth_get_n_keys (auth), ==, 2);
  return auth;
}

static void
set_key (WsTestConfig *config,
         const char   *name,
         const char   *secret)
{
  g_free (config->auth_name);
  g_free (config->auth_secret);
  config->auth_name = g_strdup (name);
  config->auth_secret = g_strdup (secret);
}

static void
test_auth (void)
{
  g_autoptr(WsAuth) auth = test_keys ();
  g_autoptr(WsServer) server = server_new (NULL, FALSE, auth);
  g_autofree char *wrong_secret = NULL;
  g_autofree char *wrong_name = NULL;
  WsTestConfig config;

  config_for (&config, server, "localhost");
  set_key (&config, "alice", "s3cret:with:colons");
  run_ok (&config);
  set_key (&config, "bob", "hunter2");
  run_ok (&config);

  /* Wrong secret, wrong name: the same words, nothing to tell them apart. */
  set_key (&config, "bob", "hunter3");
  wrong_secret = run_fails (&config);
  set_key (&config, "carol", "hunter2");
  wrong_name = run_fails (&config);
  g_assert_cmpstr (wrong_secret, ==, wrong_name);
  g_assert_nonnull (strstr (wrong_secret, "Authentication failed"));

  g_clear_pointer (&config.auth_name, g_free);
  g_clear_pointer (&config.auth_secret, g_free);
  assert_fails_as (&config, WS_CLIENT_ERROR, WS_CLIENT_ERROR_KEY_MISSING, "requires authentication");
  ws_test_config_clear (&config);
}

/* Without a key, a client cannot take the only slot: it is asked for the
 * key before it gets one. */
static void
test_auth_before_slot (void)
{
  g_autoptr(WsAuth) auth = test_keys ();
  g_autoptr(WsServer) server = ws_server_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) squatter = NULL;
  WsTestConfig config;
  WsMessage msg;

  ws_server_set_port (server, 0);
  ws_server_set_idle_timeout (server, 10);
  ws_server_set_max_clients (server, 1);
  ws_server_set_auth (server, auth);
  g_assert_true (ws_server_start (server, &error));
  squatter = g_socket_client_connect_to_host (client, "127.0.0.1", ws_server_get_port (server), NULL, &error);
  g_assert_no_error (error);
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  g_assert_true (ws_io_send_message (g_socket_connection_get_socket (squatter), &msg,
                                     ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_true (ws_io_read_message (g_socket_connection_get_socket (squatter), &msg,
                                     ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_cmpuint (msg.type, ==, WS_MSG_HELLO_REPLY);
  g_assert_true (msg.u.hello_reply.flags & WS_HELLO_FLAG_AUTH_REQUIRED);
  /* …and says no more. A client with a key still gets the slot. */
  config_for (&config, server, "localhost");
  set_key (&config, "bob", "hunter2");
  run_ok (&config);
  ws_test_config_clear (&config);
}

/* The seed protocol has no way to authenticate: refused, not let through. */
static void
test_auth_no_v1 (void)
{
  g_autoptr(WsAuth) auth = test_keys ();
  g_autoptr(WsServer) server = server_new (NULL, FALSE, auth);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  const guint8 v1_request[] = { 0x01, 0x01, 0x03 };
  WsMessage msg;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", ws_server_get_port (server), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ws_io_write_all (g_socket_connection_get_socket (connection), v1_request, sizeof v1_request,
                                  ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_true (ws_io_read_message (g_socket_connection_get_socket (connection), &msg,
                                     ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msg.version, ==, WS_PROTOCOL_V2);
  g_assert_cmpuint (msg.type, ==, WS_MSG_ERROR);
  g_assert_cmpuint (msg.u.error.code, ==, WS_PROTOCOL_ERROR_AUTH_FAILED);
}

static void
test_auth_over_tls (void)
{
  g_autoptr(WsAuth) auth = test_keys ();
  g_autoptr(WsServer) server = server_new ("server", FALSE, auth);
  WsTestConfig config;

  config_for (&config, server, "localhost");
  config.tls = TRUE;
  config.tls_ca_file = fixture ("ca.pem");
  set_key (&config, "alice", "s3cret:with:colons");
  run_ok (&config);
  set_key (&config, "alice", "s3cret");
  assert_fails_with (&config, "Authentication failed");
  ws_test_config_clear (&config);
}

/* HMAC-SHA256(secret, "wirespeed-auth-v1" NUL ‖ nonce ‖ name), checked
 * against Python's hmac module. */
static void
test_auth_vector (void)
{
  static const guint8 expected[WS_AUTH_MAC_SIZE] = {
    0x8d, 0x05, 0x3f, 0x57, 0xd9, 0x31, 0xb1, 0xed, 0x7b, 0x9c, 0xa7, 0x3c, 0x42, 0x14, 0x63, 0xbb,
    0x9f, 0x2b, 0x66, 0x7e, 0xd1, 0x12, 0x77, 0x44, 0xd4, 0x50, 0x65, 0x4d, 0x4e, 0x5f, 0xf7, 0xbb,
  };
  g_autoptr(WsAuth) auth = test_keys ();
  guint8 nonce[WS_NONCE_SIZE];
  guint8 mac[WS_AUTH_MAC_SIZE];

  for (guint i = 0; i < WS_NONCE_SIZE; i++)
    nonce[i] = i;
  ws_auth_compute ("bob", "hunter2", nonce, mac);
  g_assert_cmpmem (mac, sizeof mac, expected, sizeof expected);
  g_assert_true (ws_auth_verify (auth, "bob", nonce, mac));
  g_assert_false (ws_auth_verify (auth, "alice", nonce, mac));
  g_assert_false (ws_auth_verify (auth, "nobody", nonce, mac));
  /* A fresh nonce makes the old answer worthless. */
  nonce[0] ^= 1;
  g_assert_false (ws_auth_verify (auth, "bob", nonce, mac));
}

static void
test_auth_files (void)
{
  const struct {
    const char *data;
    const char *expected;
  } bad[] = {
    { "", "has no NAME:SECRET line" },
    { "# only comments\n", "has no NAME:SECRET line" },
    { "alice:one\nnocolon\n", "keys line 2" },
    { "alice:one\nalice:two\n", "the name alice appears twice" },
    { "al ice:one\n", "keys line 1" },
    { ":secret\n", "keys line 1" },
    { "alice:\n", "keys line 1" },
  };
  g_autofree char *dir = g_dir_make_tmp ("wirespeed-keys-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "keys", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsAuth) auth = NULL;
  g_autofree char *name = NULL;
  g_autofree char *secret = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(WsAuth) none = ws_auth_new_from_data (bad[i].data, "keys", &error);

      g_assert_null (none);
      g_assert_nonnull (strstr (error->message, bad[i].expected));
      g_clear_error (&error);
    }

  /* Readable by others: refused, as ssh refuses such keys. */
  g_assert_true (g_file_set_contents (path, "bob:hunter2\n", -1, NULL));
  g_chmod (path, 0644);
  g_assert_null (ws_auth_new_from_file (path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_chmod (path, 0600);
  auth = ws_auth_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (ws_auth_read_key_file (path, &name, &secret, &error));
  g_assert_cmpstr (name, ==, "bob");
  g_assert_cmpstr (secret, ==, "hunter2");
  g_unlink (path);
  g_rmdir (dir);
}

/* AUTH names are what a key file can hold: the decoder says no to others. */
static void
test_auth_codec (void)
{
  const char *bad_names[] = { "", "with space", "co:lon", "tab\there" };
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  WsMessage msg, back;
  g_autoptr(GError) error = NULL;
  gsize n;

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_AUTH);
      g_strlcpy (msg.u.auth.name, bad_names[i], sizeof msg.u.auth.name);
      n = ws_message_encode (&msg, buf, sizeof buf);
      g_assert_cmpuint (n, ==, 100);
      g_assert_false (ws_message_decode (buf, n, &back, NULL, &error));
      g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE);
      g_clear_error (&error);
    }
  /* Bytes after the name's end must be zero. */
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_AUTH);
  g_strlcpy (msg.u.auth.name, "bob", sizeof msg.u.auth.name);
  n = ws_message_encode (&msg, buf, sizeof buf);
  buf[4 + 10] = 'x';
  g_assert_false (ws_message_decode (buf, n, &back, NULL, &error));
  g_clear_error (&error);
  /* The longest name survives. */
  memset (msg.u.auth.name, 'n', WS_AUTH_NAME_SIZE);
  msg.u.auth.name[WS_AUTH_NAME_SIZE] = '\0';
  n = ws_message_encode (&msg, buf, sizeof buf);
  g_assert_true (ws_message_decode (buf, n, &back, NULL, &error));
  g_assert_cmpstr (back.u.auth.name, ==, msg.u.auth.name);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* TLS is part of the product: without it these tests fail, loudly. */
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      printf ("Bail out! GIO has no TLS backend: install glib-networking (build-aux/deps.sh does)\n");
      return 1;
    }
  g_test_add_func ("/security/tls/ca", test_tls_ca);
  g_test_add_func ("/security/tls/modes", test_tls_modes);
  g_test_add_func ("/security/tls/pin", test_tls_pin);
  g_test_add_func ("/security/tls/refusals", test_tls_refusals);
  g_test_add_func ("/security/tls/required", test_tls_required);
  g_test_add_func ("/security/tls/stream-hijack", test_tls_stream_hijack);
  g_test_add_func ("/security/tls/garbage", test_tls_garbage);
  g_test_add_func ("/security/tls/no-backend", test_tls_no_backend);
  g_test_add_func ("/security/auth/ok-and-refused", test_auth);
  g_test_add_func ("/security/auth/over-tls", test_auth_over_tls);
  g_test_add_func ("/security/auth/no-v1", test_auth_no_v1);
  g_test_add_func ("/security/auth/before-slot", test_auth_before_slot);
  g_test_add_func ("/security/auth/vector", test_auth_vector);
  g_test_add_func ("/security/auth/files", test_auth_files);
  g_test_add_func ("/security/auth/codec", test_auth_codec);
  return g_test_run ();
}
