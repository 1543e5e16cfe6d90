/* test-cli.c — the command line, from the outside
 *
 * Every test spawns the real binary ($WIRESPEED) and judges only what a user
 * sees: the exit status, standard output and standard error. Servers are
 * started on --port 0 and found by the port they print; the handshake
 * failures are provoked by small fake servers running in a thread.
 *
 * Every wait is bounded: a process that outlives its deadline is killed and
 * the test fails.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>

/* How long a process that should end by itself may take. */
#define EXIT_TIMEOUT_MS 20000
/* How long a server may take to say where it listens. */
#define LISTEN_TIMEOUT_MS 10000
/* The client's handshake timeout is 10 s: leave it room. */
#define SILENT_TIMEOUT_MS 25000
/* How long a server may take to exit on SIGINT. */
#define SERVER_STOP_MS 5000

#define TRY_HELP "Try “wirespeed --help” for more information."

#include "ws-fake-server.h"
#include "ws-listen-util.h"
#include "ws-proc-util.h"
#include "ws-tcp-proxy.h"

static Outcome *run_wirespeed (guint timeout_ms, const char *first, ...) G_GNUC_NULL_TERMINATED;

/* Runs wirespeed with these arguments to the end. */
static Outcome *
run_wirespeed (guint       timeout_ms,
               const char *first,
               ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(Proc) p = NULL;
  va_list ap;

  g_ptr_array_add (args, (gpointer) first);
  va_start (ap, first);
  collect_args (args, ap);
  va_end (ap);
  p = proc_spawnv ((const char * const *) args->pdata);
  return proc_finish (p, timeout_ms);
}

static Proc *
spawn_client_va (const char *target,
                 guint       port,
                 va_list     ap)
{
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, "--client");
  g_ptr_array_add (args, "--target");
  g_ptr_array_add (args, (gpointer) target);
  g_ptr_array_add (args, "--port");
  g_ptr_array_add (args, port_text);
  collect_args (args, ap);
  return proc_spawnv ((const char * const *) args->pdata);
}

static Proc *spawn_client (const char *target, guint port, ...) G_GNUC_NULL_TERMINATED;

/* Starts `wirespeed --client --target TARGET --port PORT ARGS…`. */
static Proc *
spawn_client (const char *target,
              guint       port,
              ...)
{
  Proc *p;
  va_list ap;

  va_start (ap, port);
  p = spawn_client_va (target, port, ap);
  va_end (ap);
  return p;
}

static Outcome *run_client (const char *target, guint port, ...) G_GNUC_NULL_TERMINATED;

/* The same, run to the end. */
static Outcome *
run_client (const char *target,
            guint       port,
            ...)
{
  g_autoptr(Proc) p = NULL;
  va_list ap;

  va_start (ap, port);
  p = spawn_client_va (target, port, ap);
  va_end (ap);
  return proc_finish (p, EXIT_TIMEOUT_MS);
}

/* ------------------------------------------------------------------ */
/* Checking what was printed                                           */

/* A client or usage error: exactly one "wirespeed: …" line on stderr. */
static void
assert_error_line (const Outcome *o,
                   const char    *needle)
{
  g_auto(GStrv) lines = split_lines (o->err);

  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0], "wirespeed: "));
  if (needle != NULL && strstr (lines[0], needle) == NULL)
    g_error ("stderr “%s” does not contain “%s”", lines[0], needle);
}

static gboolean
is_interval_line (const char *line)
{
  /* "  0.00–  1.00 s    42.5 Gbit/s …" */
  return strstr (line, "–") != NULL && strstr (line, " s ") != NULL
         && !g_str_has_prefix (line, "Wirespeed");
}

/* The shape of a text report: header, columns, intervals, summary. */
static void
assert_text_report (const char *out,
                    const char *header_prefix,
                    guint       min_intervals)
{
  g_auto(GStrv) lines = split_lines (out);
  guint n = g_strv_length (lines);
  guint i = 2, intervals = 0;

  g_assert_cmpuint (n, >=, 4);
  if (!g_str_has_prefix (lines[0], header_prefix))
    g_error ("first line “%s” does not start with “%s”", lines[0], header_prefix);
  g_assert_nonnull (strstr (lines[1], "Interval"));
  for (; i < n && is_interval_line (lines[i]); i++)
    intervals++;
  g_assert_cmpuint (intervals, >=, min_intervals);
  g_assert_cmpuint (i, <, n);
  g_assert_true (g_str_has_prefix (lines[i], "Summary over "));
  g_assert_cmpuint (i + 2, <, n);
  g_assert_nonnull (strstr (lines[i + 1], "sender"));
  g_assert_nonnull (strstr (lines[i + 2], "receiver"));
}

/* ------------------------------------------------------------------ */
/* Each test in its own process                                        */

/* A failure in one test must not hide the others, and no test may run
 * forever: each runs in a child of the test binary, with a deadline. */
#define TEST_TIMEOUT_US (60 * G_USEC_PER_SEC)

typedef struct {
  GTestDataFunc func;
  gconstpointer data;
  const char *(*skip_reason) (void);
} Isolated;

/* Freed after the run: LeakSanitizer checks the children too. */
static GPtrArray *isolated_tests;

static void
run_isolated (gconstpointer user_data)
{
  const Isolated *t = user_data;
  const char *reason;

  if (g_test_subprocess ())
    {
      t->func (t->data);
      return;
    }
  reason = t->skip_reason != NULL ? t->skip_reason () : NULL;
  if (reason != NULL)
    {
      g_test_skip (reason);
      return;
    }
  /* On failure the child's stderr, with every transcript, is shown. */
  g_test_trap_subprocess (NULL, TEST_TIMEOUT_US, 0);
  g_test_trap_assert_passed ();
}

static void
add_test_full (const char    *path,
               GTestDataFunc  func,
               gconstpointer  data,
               const char  *(*skip_reason) (void))
{
  Isolated *t = g_new0 (Isolated, 1);

  t->func = func;
  t->data = data;
  t->skip_reason = skip_reason;
  if (isolated_tests == NULL)
    isolated_tests = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (isolated_tests, t);
  g_test_add_data_func (path, t, run_isolated);
}

static void
add_test (const char    *path,
          GTestDataFunc  func,
          gconstpointer  data)
{
  add_test_full (path, func, data, NULL);
}

/* ------------------------------------------------------------------ */
/* --help, --version                                                   */

static void
test_help (gconstpointer data)
{
  static const char *const flags[] = {
    "--client", "--server", "--test", "--target", "--time", "--port", "--streams",
    "--reverse", "--bidir", "--length", "--interval", "--json", "--bind",
    "--max-clients", "--idle-timeout", "--verbose", "--allow", "--deny", "--max-per-address",
    "--max-pending-per-address", "--max-duration", "--max-bitrate",
  };
  g_autoptr(Outcome) o = run_wirespeed (EXIT_TIMEOUT_MS, "--help", NULL);

  g_assert_cmpint (o->status, ==, 0);
  g_assert_true (g_str_has_prefix (o->out, "Usage:"));
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    assert_contains (o->out, flags[i]);
  g_assert_cmpstr (o->err, ==, "");
}

static void
test_version (gconstpointer data)
{
  g_autoptr(Outcome) o = run_wirespeed (EXIT_TIMEOUT_MS, "--version", NULL);

  g_assert_cmpint (o->status, ==, 0);
  g_assert_cmpstr (o->out, ==, "wirespeed " PACKAGE_VERSION "\n");
  g_assert_cmpstr (o->err, ==, "");
}

/* ------------------------------------------------------------------ */
/* Invalid command lines                                               */

typedef struct {
  const char *name;
  const char *args[6];
  const char *named[2];  /* what the reason must mention */
} UsageCase;

static const UsageCase usage_cases[] = {
  { "client-and-server", { "--client", "--server" }, { "--client", "--server" } },
  { "test-unknown", { "--client", "--test", "FOO" }, { "--test" } },
  { "time-not-a-number", { "--client", "--time", "abc" }, { "--time" } },
  { "time-zero", { "--client", "--time", "0" }, { "--time" } },
  { "time-negative", { "--client", "--time", "-5" }, { "--time" } },
  { "time-too-long", { "--client", "--time", "100000" }, { "--time" } },
  { "bytes-zero", { "--client", "--bytes", "0" }, { "--bytes" } },
  { "bytes-negative", { "--client", "--bytes", "-5" }, { "--bytes" } },
  { "bytes-bad-suffix", { "--client", "--bytes", "12Q" }, { "--bytes" } },
  { "bytes-fraction-of-a-byte", { "--client", "--bytes", "1.0005K" }, { "--bytes" } },
  { "bytes-tcp-rr", { "--client", "--bytes", "10M", "--test", "TCP_RR" }, { "--bytes" } },
  { "bytes-udp-rr", { "--client", "--bytes", "10M", "--test", "UDP_RR" }, { "--bytes" } },
  { "bytes-speed", { "--client", "--bytes", "10M", "--test", "SPEED" }, { "--bytes" } },
  { "target-without-client", { "--target", "x" }, { "--target" } },
  { "target-with-server", { "--server", "--target", "x" }, { "--target" } },
  { "streams-zero", { "--client", "--streams", "0" }, { "--streams" } },
  { "streams-too-many", { "--client", "--streams", "129" }, { "--streams" } },
  { "port-too-large", { "--client", "--port", "70000" }, { "--port" } },
  { "port-zero-client", { "--client", "--port", "0" }, { "--port" } },
  { "port-too-large-server", { "--server", "--port", "70000" }, { "--port" } },
  { "length-zero", { "--client", "--length", "0" }, { "--length" } },
  { "length-bad-suffix", { "--client", "--length", "1X" }, { "--length" } },
  { "length-too-large", { "--client", "--length", "17M" }, { "--length" } },
  { "interval-zero", { "--client", "--interval", "0" }, { "--interval" } },
  { "interval-too-long", { "--client", "--interval", "5000" }, { "--interval" } },
  { "reverse-and-bidir", { "--client", "--reverse", "--bidir" }, { "--reverse", "--bidir" } },
  { "bind-not-an-address", { "--server", "--bind", "notanaddress" }, { "--bind" } },
  { "max-clients-zero", { "--server", "--max-clients", "0" }, { "--max-clients" } },
  { "idle-timeout-zero", { "--server", "--idle-timeout", "0" }, { "--idle-timeout" } },
  { "allow-not-a-network", { "--server", "--allow", "example.com" }, { "--allow", "example.com" } },
  { "allow-empty", { "--server", "--allow", "" }, { "--allow" } },
  { "deny-bad-prefix", { "--server", "--deny", "10.0.0.0/33" }, { "--deny", "0 to 32" } },
  { "deny-host-bits", { "--server", "--deny", "::1", "--deny", "2001:db8::1/32" },
    { "--deny", "2001:db8::/32" } },
  { "max-per-address-zero", { "--server", "--max-per-address", "0" }, { "--max-per-address" } },
  { "max-pending-per-address-zero", { "--server", "--max-pending-per-address", "0" },
    { "--max-pending-per-address" } },
  { "max-pending-per-address-too-many", { "--server", "--max-pending-per-address", "4097" },
    { "--max-pending-per-address" } },
  { "max-duration-zero", { "--server", "--max-duration", "0" }, { "--max-duration" } },
  { "max-duration-too-long", { "--server", "--max-duration", "86401" }, { "--max-duration" } },
  { "max-bitrate-zero", { "--server", "--max-bitrate", "0" }, { "--max-bitrate" } },
  { "max-bitrate-bad-suffix", { "--server", "--max-bitrate", "5X" }, { "--max-bitrate" } },
  { "unknown-option", { "--client", "--bogus" }, { "--bogus" } },
  { "unexpected-argument", { "--client", "--target", "x", "extra" }, { "extra" } },
  { "target-as-argument", { "--client", "host.example" }, { "--target host.example" } },
  { "target-and-port-as-argument", { "--client", "192.0.2.7:5301" }, { "--target 192.0.2.7 --port 5301" } },
  { "json-without-mode", { "--json" }, { "--client", "--server" } },
  { "http-length", { "--client", "--target", "http://192.0.2.1/x", "--length", "64K" }, { "--length", "HTTP" } },
  { "http-bitrate", { "--client", "--target", "http://192.0.2.1/x", "--bitrate", "10M" }, { "--bitrate", "HTTP" } },
  { "http-rr-size", { "--client", "--target", "http://192.0.2.1/x", "--rr-size", "64,64" }, { "--rr-size", "HTTP" } },
};

static void
test_usage (gconstpointer data)
{
  const UsageCase *c = data;
  g_autoptr(Proc) p = proc_spawnv (c->args);
  g_autoptr(Outcome) o = proc_finish (p, EXIT_TIMEOUT_MS);
  g_auto(GStrv) lines = split_lines (o->err);

  g_assert_cmpint (o->status, ==, 2);
  g_assert_cmpstr (o->out, ==, "");
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_true (g_str_has_prefix (lines[0], "wirespeed: "));
  for (guint i = 0; i < G_N_ELEMENTS (c->named) && c->named[i] != NULL; i++)
    if (strstr (lines[0], c->named[i]) == NULL)
      g_error ("the reason “%s” does not name “%s”", lines[0], c->named[i]);
  g_assert_cmpstr (lines[1], ==, TRY_HELP);
}

static void
test_usage_json_without_mode_says_choose (gconstpointer data)
{
  g_autoptr(Outcome) o = run_wirespeed (EXIT_TIMEOUT_MS, "--json", NULL);

  g_assert_cmpint (o->status, ==, 2);
  assert_contains (o->err, "Choose --client, --server or --agent");
}

/* ------------------------------------------------------------------ */
/* Test modes                                                          */

/* The speed test: idle latency, download, upload, as a person reads it. */
static void
test_mode_speed (void)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(Outcome) o = run_wirespeed (EXIT_TIMEOUT_MS + 10000, "--client", "--target", "127.0.0.1",
                                        "--port", port_text, "--time", "2", "--test", "speed",
                                        "--streams", "2", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  g_assert_true (g_str_has_prefix (o->out, "Wirespeed " PACKAGE_VERSION ": speed test against 127.0.0.1 port "));
  assert_contains (o->out, ": idle latency, then 2 s download and 2 s upload with 2 streams\n");
  assert_contains (o->out, "Download ");
  assert_contains (o->out, "Upload ");
  assert_contains (o->out, "Idle latency ");
  assert_contains (o->out, "loaded, download");
  assert_contains (o->out, "loaded, upload");
  assert_contains (o->out, "responsiveness");
  g_assert_cmpstr (o->err, ==, "");
  s = stop_server (server, SIGINT);
}

/* Against an iperf3 server the header, printed once the server has
 * answered, promises no idle-latency phase: iperf3 has none. */
static void
test_mode_speed_iperf3 (void)
{
  g_autofree char *iperf3 = g_find_program_in_path ("iperf3");
  g_autoptr(GSubprocess) server = NULL;
  g_autofree char *port_text = NULL;
  g_autoptr(Outcome) o = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *header = NULL;
  guint16 port;

  if (iperf3 == NULL)
    {
      g_test_fail_printf ("iperf3 is not installed (build-aux/deps.sh installs it)");
      return;
    }
  server = spawn_iperf3_listening (iperf3, FALSE, &port);
  port_text = g_strdup_printf ("%u", port);
  o = run_wirespeed (EXIT_TIMEOUT_MS + 10000, "--client", "--target", "127.0.0.1", "--port", port_text,
                     "--time", "1", "--test", "SPEED", "--streams", "2", NULL);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);

  g_assert_cmpint (o->status, ==, 0);
  lines = split_lines (o->out);
  header = g_strdup_printf ("Wirespeed " PACKAGE_VERSION ": speed test against the iperf3 server "
                            "127.0.0.1 port %u: 1 s download, then 1 s upload with 2 streams", port);
  g_assert_cmpstr (lines[0], ==, header);
  g_assert_nonnull (strstr (lines[1], "is an iperf3 server"));
  g_assert_null (strstr (o->out, "idle latency, then"));
  assert_contains (o->out, "loaded, download");
}

static void
test_mode_lower_case (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "1", "--test", "tcp_stream",
                                     NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  assert_text_report (o->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM upload to 127.0.0.1", 1);
  g_assert_cmpstr (o->err, ==, "");
  s = stop_server (server, SIGINT);
}

/* ------------------------------------------------------------------ */
/* Client errors                                                       */

/* A port nobody listens on, held (bound, not listening) so nobody can. */
static GSocket *
reserve_dead_port (guint *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

static void
test_error_refused (gconstpointer data)
{
  guint port;
  g_autoptr(GSocket) reserved = reserve_dead_port (&port);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "1", NULL);

  g_assert_cmpint (o->status, ==, 1);
  assert_error_line (o, "refused");
}

static void
test_error_host_not_found (gconstpointer data)
{
  g_autoptr(Outcome) o = run_wirespeed (EXIT_TIMEOUT_MS, "--client", "--target",
                                        "no-such-host.invalid", "--time", "1", NULL);

  g_assert_cmpint (o->status, ==, 1);
  assert_error_line (o, "Host not found");
}

/* The client's children read the build tree's catalogs in @language
 * (LANGUAGE wins over the C.UTF-8 locale the helpers set). Each test runs
 * in a subprocess of its own, so the environment does not leak. */
static void
use_language (const char *language)
{
  const char *localedir = g_getenv ("WS_TEST_LOCALEDIR");

  g_assert_nonnull (localedir);
  g_setenv ("WIRESPEED_LOCALEDIR", localedir, TRUE);
  g_setenv ("LANGUAGE", language, TRUE);
}

/* An engine error reaches the user translated, not only the CLI's own
 * texts: the connection-refused line in German and in French. */
static void
test_error_refused_translated (gconstpointer data)
{
  static const struct {
    const char *language;
    const char *before_port;
    const char *after_port;
  } cases[] = {
    { "de", "wirespeed: Verbindung abgelehnt von 127.0.0.1 Port ",
      ": Läuft dort ein Wirespeed-Server?\n" },
    { "fr", "wirespeed: Connexion refusée par 127.0.0.1 port ",
      "\u00a0: un serveur Wirespeed y tourne-t-il\u202f?\n" },
  };
  guint port;
  g_autoptr(GSocket) reserved = reserve_dead_port (&port);
  g_autofree char *port_text = g_strdup_printf ("%u", port);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Outcome) o = NULL;
      g_autofree char *expected = g_strconcat (cases[i].before_port, port_text,
                                               cases[i].after_port, NULL);

      use_language (cases[i].language);
      o = run_client ("127.0.0.1", port, "--time", "1", NULL);
      g_assert_cmpint (o->status, ==, 1);
      g_assert_cmpstr (o->err, ==, expected);
    }
}

/* The engine says the server requires TLS; the CLI adds the flag that
 * fixes it, in the user's language too. */
static void
test_error_tls_required (gconstpointer data)
{
  g_autofree char *cert = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server.pem", NULL);
  g_autofree char *key = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server-key.pem", NULL);
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, "--tls-cert", cert, "--tls-key", key, NULL);
  g_autoptr(Outcome) plain = run_client ("127.0.0.1", port, "--time", "1", NULL);
  g_autoptr(Outcome) german = NULL;
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (plain->status, ==, 1);
  g_assert_cmpstr (plain->err, ==, "wirespeed: The server requires TLS: connect with --tls\n");
  use_language ("de");
  german = run_client ("127.0.0.1", port, "--time", "1", NULL);
  g_assert_cmpint (german->status, ==, 1);
  g_assert_cmpstr (german->err, ==, "wirespeed: Der Server verlangt TLS: Verbinden Sie sich mit --tls\n");
  s = stop_server (server, SIGINT);
}

static void
test_error_busy (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, "--max-clients", "1", NULL);
  g_autoptr(Proc) first = spawn_client ("127.0.0.1", port, "--time", "4", NULL);
  g_autofree char *line = NULL;
  g_autoptr(Outcome) second = NULL;
  g_autoptr(Outcome) first_done = NULL;
  g_autoptr(Outcome) s = NULL;

  /* Once the first interval is out, the first client holds the only slot. */
  line = wait_for_line (first, &first->out, "–", 10000);
  g_assert_nonnull (line);
  second = run_client ("127.0.0.1", port, "--time", "1", NULL);
  g_assert_cmpint (second->status, ==, 1);
  assert_error_line (second, "busy");

  first_done = proc_finish (first, EXIT_TIMEOUT_MS);
  g_assert_cmpint (first_done->status, ==, 0);
  assert_contains (first_done->out, "Summary over");
  g_assert_cmpstr (first_done->err, ==, "");
  s = stop_server (server, SIGINT);
}


static void
test_fake_too_old (gconstpointer data)
{
  g_autoptr(FakeServer) fake = fake_server_start (FAKE_TOO_OLD);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", fake->port, "--time", "1", NULL);

  g_assert_cmpint (o->status, ==, 1);
  assert_error_line (o, "too old");
}

static void
test_fake_closes (gconstpointer data)
{
  g_autoptr(FakeServer) fake = fake_server_start (FAKE_CLOSE);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", fake->port, "--time", "1", NULL);

  g_assert_cmpint (o->status, ==, 1);
  assert_error_line (o, "closed the connection");
}

static void
test_fake_silent (gconstpointer data)
{
  g_autoptr(FakeServer) fake = fake_server_start (FAKE_SILENT);
  g_autoptr(Proc) p = spawn_client ("127.0.0.1", fake->port, "--time", "1", NULL);
  g_autoptr(Outcome) o = proc_finish (p, SILENT_TIMEOUT_MS);

  g_assert_cmpint (o->status, ==, 1);
  assert_error_line (o, "Timed out");
}

/* A Wirespeed server that takes longer to answer HELLO than an iperf3
 * server would stay silent: the client asks whether it is iperf3, which
 * spoils that connection, and then runs the test on a new one. The server
 * is frozen (SIGSTOP) for 1.6 s; the kernel still accepts for it. */
static void
test_slow_server (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Proc) client = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autoptr(Outcome) s = NULL;

  g_subprocess_send_signal (server->proc, SIGSTOP);
  client = spawn_client ("127.0.0.1", port, "--time", "1", "--no-latency", NULL);
  g_usleep (1600 * G_TIME_SPAN_MILLISECOND);
  g_subprocess_send_signal (server->proc, SIGCONT);
  o = proc_finish (client, EXIT_TIMEOUT_MS);
  g_assert_cmpint (o->status, ==, 0);
  g_assert_cmpstr (o->err, ==, "");
  assert_contains (o->out, "Summary over");
  g_assert_null (strstr (o->out, "iperf3"));
  s = stop_server (server, SIGINT);
}

/* ------------------------------------------------------------------ */
/* Real runs: text                                                     */

static void
test_run_upload_text (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "2", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  assert_text_report (o->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM upload to 127.0.0.1", 2);
  g_assert_cmpstr (o->err, ==, "");

  /* Without --verbose the server says where it listens, then goodbye. */
  s = stop_server (server, SIGINT);
  g_assert_cmpstr (s->err, ==, "");
  g_assert_nonnull (strchr (s->out, '\n'));
  g_assert_cmpstr (strchr (s->out, '\n') + 1, ==, "Exiting Server\n");
}

static void
test_run_reverse_text (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "2", "--reverse", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  assert_text_report (o->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM download to 127.0.0.1",
                      2);
  g_assert_cmpstr (o->err, ==, "");
  s = stop_server (server, SIGINT);
}

static void
test_run_streams_text (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "2", "--streams", "3", NULL);
  g_autoptr(Outcome) s = NULL;
  const char *summary;

  g_assert_cmpint (o->status, ==, 0);
  assert_text_report (o->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM upload to 127.0.0.1", 2);
  assert_contains (o->out, "3 streams");
  summary = strstr (o->out, "Summary over");
  g_assert_nonnull (summary);
  assert_contains (summary, "stream 0");
  assert_contains (summary, "stream 1");
  assert_contains (summary, "stream 2");
  g_assert_null (strstr (summary, "stream 3"));
  g_assert_cmpstr (o->err, ==, "");
  s = stop_server (server, SIGINT);
}

static void
test_run_verbose_server (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, "--verbose", NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "1", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  s = stop_server (server, SIGINT);
  assert_contains (s->err, "session started");
  assert_contains (s->err, "session finished");
}

/* Skips the IPv6 test where ::1 cannot even be bound. */
static const char *
ipv6_skip_reason (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);

  if (socket == NULL || !g_socket_bind (socket, address, FALSE, NULL))
    return "::1 is not usable here";
  return NULL;
}

static void
test_run_ipv6 (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("::1", port, "--time", "1", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  assert_text_report (o->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM upload to ::1", 1);
  g_assert_cmpstr (o->err, ==, "");
  s = stop_server (server, SIGINT);
}

/* ------------------------------------------------------------------ */
/* Real runs: JSON                                                     */

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    g_error ("JSON member “%s” is missing", name);
  return node;
}

static gboolean
member_is_null (JsonObject *object,
                const char *name)
{
  return JSON_NODE_HOLDS_NULL (member (object, name));
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpuint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

static gdouble
member_number (JsonObject *object,
               const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_DOUBLE
                 || json_node_get_value_type (node) == G_TYPE_INT64);
  return json_node_get_double (node);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpuint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = member (object, name);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static JsonParser *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return g_steal_pointer (&parser);
}

/* One direction of a JSON result: rates and bytes present exactly when the
 * test moved data that way, and everybody's byte counts agree. */
static void
check_json_direction (JsonObject *root,
                      const char *dir,
                      gboolean    measured)
{
  g_autofree char *bps = g_strdup_printf ("%s_bps", dir);
  g_autofree char *bytes = g_strdup_printf ("%s_bytes", dir);
  JsonObject *summary = member_object (root, "summary");
  JsonArray *intervals = json_node_get_array (member (root, "intervals"));
  JsonObject *flow;
  gint64 total, sum = 0;

  for (guint i = 0; i < json_array_get_length (intervals); i++)
    {
      JsonObject *sample = json_array_get_object_element (intervals, i);

      g_assert_cmpint (member_is_null (sample, bps), ==, !measured);
      if (!measured)
        continue;
      g_assert_cmpfloat (member_number (sample, bps), >=, 0);
      sum += member_int (member_object (sample, dir), "receiver_bytes");
    }

  g_assert_cmpint (member_is_null (summary, bps), ==, !measured);
  g_assert_cmpint (member_is_null (summary, bytes), ==, !measured);
  if (!measured)
    return;
  total = member_int (summary, bytes);
  g_assert_cmpint (total, >, 0);
  g_assert_cmpfloat (member_number (summary, bps), >, 0);
  flow = member_object (summary, dir);
  /* The receiver reads to end-of-file: both ends agree to the byte. */
  g_assert_cmpint (member_int (flow, "sender_bytes"), ==, member_int (flow, "receiver_bytes"));
  g_assert_cmpint (member_int (flow, "receiver_bytes"), ==, total);
  g_assert_cmpint (sum, ==, total);
}

static void
check_json_result (const char *text,
                   guint       port,
                   const char *direction,
                   gint64      duration_s)
{
  static const char *const interval_keys[] = {
    "start_s", "end_s", "upload_bps", "download_bps", "retransmits", "rtt_ms",
  };
  g_autoptr(JsonParser) parser = parse_json (text);
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  g_autoptr(GDateTime) start = NULL;
  JsonObject *summary;
  JsonArray *intervals;
  gboolean up, down;

  g_assert_cmpstr (member_string (root, "wirespeed_version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (member_string (root, "test"), ==, "TCP_STREAM");
  g_assert_cmpstr (member_string (root, "target"), ==, "127.0.0.1");
  g_assert_cmpint (member_int (root, "port"), ==, port);
  g_assert_cmpstr (member_string (root, "direction"), ==, direction);
  g_assert_cmpint (member_int (root, "streams"), ==, 1);
  g_assert_cmpint (member_int (root, "duration_s"), ==, duration_s);
  start = g_date_time_new_from_iso8601 (member_string (root, "start_time"), NULL);
  g_assert_nonnull (start);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (member (root, "intervals")));
  intervals = json_node_get_array (member (root, "intervals"));
  g_assert_cmpuint (json_array_get_length (intervals), >=, duration_s);
  for (guint i = 0; i < json_array_get_length (intervals); i++)
    {
      JsonObject *sample = json_array_get_object_element (intervals, i);

      g_assert_nonnull (sample);
      for (guint k = 0; k < G_N_ELEMENTS (interval_keys); k++)
        member (sample, interval_keys[k]);
      g_assert_cmpfloat (member_number (sample, "end_s"), >, member_number (sample, "start_s"));
      g_assert_cmpint (member_int (sample, "retransmits"), >=, 0);
    }

  summary = member_object (root, "summary");
  g_assert_cmpint (member_int (summary, "retransmits"), >=, 0);
  up = g_strcmp0 (direction, "download") != 0;
  down = g_strcmp0 (direction, "upload") != 0;
  check_json_direction (root, "upload", up);
  check_json_direction (root, "download", down);
}

static void
test_run_json (gconstpointer data)
{
  const char *direction = data;
  /* NULL for an upload: it ends the argument list early. */
  const char *flag = g_str_equal (direction, "download") ? "--reverse"
                     : g_str_equal (direction, "bidir") ? "--bidir" : NULL;
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--time", "2", "--json", flag, NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  g_assert_cmpstr (o->err, ==, "");
  check_json_result (o->out, port, direction, 2);
  s = stop_server (server, SIGINT);
}

/* ------------------------------------------------------------------ */
/* --bytes: fixed-size transfers                                       */

#define TEST_BYTES 10000000 /* 10M, decimal */

typedef struct {
  const char *name;
  const char *mode;
  const char *direction;   /* upload, download, bidir */
  const char *streams;
} BytesCase;

static const BytesCase bytes_cases[] = {
  { "tcp-upload-1", "TCP_STREAM", "upload", "1" },
  { "tcp-download-1", "TCP_STREAM", "download", "1" },
  { "tcp-bidir-1", "TCP_STREAM", "bidir", "1" },
  { "tcp-upload-4", "TCP_STREAM", "upload", "4" },
  { "tcp-download-4", "TCP_STREAM", "download", "4" },
  { "tcp-bidir-4", "TCP_STREAM", "bidir", "4" },
  { "udp-upload-1", "UDP_STREAM", "upload", "1" },
  { "udp-download-1", "UDP_STREAM", "download", "1" },
  { "udp-bidir-4", "UDP_STREAM", "bidir", "4" },
  { "udp-download-4", "UDP_STREAM", "download", "4" },
};

/* TCP delivers every byte, so the receiver has exactly the size; UDP may
 * lose datagrams on a loaded host, so only the sender's count is exact. */
static void
check_bytes_flow (JsonObject *summary,
                  const char *direction,
                  gboolean    udp)
{
  JsonObject *flow = member_object (summary, direction);
  g_autofree char *key = g_strdup_printf ("%s_bytes", direction);

  g_assert_cmpint (member_int (flow, "sender_bytes"), ==, TEST_BYTES);
  if (!udp)
    {
      g_assert_cmpint (member_int (flow, "receiver_bytes"), ==, TEST_BYTES);
      g_assert_cmpint (member_int (summary, key), ==, TEST_BYTES);
    }
  else
    g_assert_cmpint (member_int (flow, "receiver_bytes"), <=, TEST_BYTES);
}

static void
test_bytes (gconstpointer data)
{
  const BytesCase *c = data;
  gboolean udp = g_str_equal (c->mode, "UDP_STREAM");
  const char *flag = g_str_equal (c->direction, "download") ? "--reverse"
                     : g_str_equal (c->direction, "bidir") ? "--bidir" : "--no-latency";
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  /* --time is only the safety limit: far beyond what 10 MB takes at
   * 100 Mbit/s per stream, even on a loaded host. */
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--bytes", "10M", "--test", c->mode,
                                     "--streams", c->streams, "--bitrate", "100M",
                                     "--time", "60", "--no-latency", "--json", flag, NULL);
  g_autoptr(Outcome) s = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root, *summary;

  g_assert_cmpint (o->status, ==, 0);
  g_assert_cmpstr (o->err, ==, "");
  parser = parse_json (o->out);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (member_int (root, "bytes"), ==, TEST_BYTES);
  g_assert_true (json_object_get_boolean_member (root, "bytes_complete"));
  /* It ended when the bytes were there, long before the limit. */
  g_assert_cmpfloat (member_number (root, "elapsed_s"), <, 50);
  summary = member_object (root, "summary");
  if (!g_str_equal (c->direction, "download"))
    check_bytes_flow (summary, "upload", udp);
  if (!g_str_equal (c->direction, "upload"))
    check_bytes_flow (summary, "download", udp);
  s = stop_server (server, SIGINT);
}

/* The limit comes first: 10 MB at 1 Mbit/s takes 80 s, the limit is 1 s. */
static void
test_bytes_incomplete (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--bytes", "10M", "--test", "UDP_STREAM",
                                     "--bitrate", "1M", "--time", "1", "--no-latency", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 1);
  assert_contains (o->out, "10.0 MB (at most 1 s)");
  assert_contains (o->out, "Incomplete: the 1 s limit (--time) came before 10.0 MB had arrived");
  s = stop_server (server, SIGINT);
}

/* Text: the size in the header, the usual summary. */
static void
test_bytes_text (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", port, "--bytes", "2.5M", "--no-latency", NULL);
  g_autoptr(Outcome) s = NULL;

  g_assert_cmpint (o->status, ==, 0);
  assert_contains (o->out, "TCP_STREAM upload to 127.0.0.1 port");
  assert_contains (o->out, "1 stream, 2.50 MB (at most 3600 s)\n");
  assert_contains (o->out, "receiver     2.50 MB");
  g_assert_null (strstr (o->out, "Incomplete"));
  s = stop_server (server, SIGINT);
}

/* ------------------------------------------------------------------ */
/* Where the server saw the client from                                */

#define NAT_LINE "The server saw this client as "

static JsonObject *
root_of (JsonParser *parser)
{
  return json_node_get_object (json_parser_get_root (parser));
}

/* Loopback has no NAT: the server saw the client's own address and port,
 * and the text says nothing about it. */
static void
test_addresses_direct (gconstpointer data)
{
  const char *target = data;
  g_autofree char *prefix = strchr (target, ':') ? g_strdup_printf ("[%s]:", target)
                                                 : g_strdup_printf ("%s:", target);
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = run_client (target, port, "--time", "1", "--no-latency", "--json", NULL);
  g_autoptr(Outcome) text = run_client (target, port, "--time", "1", "--no-latency", NULL);
  g_autoptr(Outcome) s = stop_server (server, SIGINT);
  g_autoptr(JsonParser) parser = NULL;
  const char *local, *seen;

  g_assert_cmpint (o->status, ==, 0);
  parser = parse_json (o->out);
  local = member_string (root_of (parser), "local_address");
  seen = member_string (root_of (parser), "client_address");
  g_assert_true (g_str_has_prefix (local, prefix));
  g_assert_cmpuint (g_ascii_strtoull (local + strlen (prefix), NULL, 10), >, 0);
  g_assert_cmpstr (seen, ==, local);
  /* Alone on the server: a count, 0, not unknown. */
  g_assert_cmpint (member_int (root_of (parser), "server_tests"), ==, 0);

  g_assert_cmpint (text->status, ==, 0);
  assert_text_report (text->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM upload to", 1);
  g_assert_null (strstr (text->out, NAT_LINE));
  g_assert_null (strstr (text->out, "NAT"));
  g_assert_null (strstr (text->out, "Server load"));
}

/* Through a relay the server sees the relay's socket: the client reports
 * exactly that address as the one seen, and says there is NAT. */
static void
test_addresses_nat (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(TcpProxy) proxy = tcp_proxy_start (port, FALSE);
  g_autoptr(TcpProxy) proxy2 = tcp_proxy_start (port, FALSE);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", proxy->port, "--time", "1", "--no-latency",
                                     "--json", NULL);
  g_autoptr(Outcome) text = run_client ("127.0.0.1", proxy2->port, "--time", "1",
                                        "--no-latency", NULL);
  g_autoptr(Outcome) s = stop_server (server, SIGINT);
  g_autofree char *relayed = tcp_proxy_dup_first_upstream (proxy);
  g_autofree char *relayed2 = tcp_proxy_dup_first_upstream (proxy2);
  g_autofree char *line = NULL;
  g_autoptr(JsonParser) parser = NULL;
  const char *local;

  g_assert_cmpint (o->status, ==, 0);
  parser = parse_json (o->out);
  local = member_string (root_of (parser), "local_address");
  g_assert_nonnull (relayed);
  g_assert_cmpstr (member_string (root_of (parser), "client_address"), ==, relayed);
  g_assert_cmpstr (local, !=, relayed);
  g_assert_true (g_str_has_prefix (local, "127.0.0.1:"));

  g_assert_cmpint (text->status, ==, 0);
  assert_text_report (text->out, "Wirespeed " PACKAGE_VERSION ": TCP_STREAM upload to", 1);
  line = g_strdup_printf (NAT_LINE "%s (local 127.0.0.1:", relayed2);
  assert_contains (text->out, line);
  assert_contains (text->out, "): NAT between them\n");
}

/* A server that predates CLIENT_ADDRESS: the test runs as before, the
 * JSON has null, the text says nothing. */
static void
test_addresses_old_server (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(TcpProxy) proxy = tcp_proxy_start (port, TRUE);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", proxy->port, "--time", "1", "--no-latency",
                                     "--json", NULL);
  g_autoptr(Outcome) text = run_client ("127.0.0.1", proxy->port, "--time", "1",
                                        "--no-latency", NULL);
  g_autoptr(Outcome) s = stop_server (server, SIGINT);
  g_autoptr(JsonParser) parser = NULL;

  g_assert_cmpint (o->status, ==, 0);
  g_assert_cmpstr (o->err, ==, "");
  parser = parse_json (o->out);
  g_assert_true (member_is_null (root_of (parser), "client_address"));
  /* Its TEST_GRANT has zeros where the count would be: unknown, not 0. */
  g_assert_true (member_is_null (root_of (parser), "server_tests"));
  g_assert_true (g_str_has_prefix (member_string (root_of (parser), "local_address"), "127.0.0.1:"));
  g_assert_cmpint (member_int (member_object (root_of (parser), "summary"), "upload_bytes"), >, 0);
  g_assert_cmpint (text->status, ==, 0);
  g_assert_null (strstr (text->out, NAT_LINE));
}

/* How busy the server was: with a minute's test running (its first
 * interval out), the next is told of it, in JSON and in one line of the
 * summary; the first, alone when it started, is told nothing. */
static void
test_server_load (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Proc) first = spawn_client ("127.0.0.1", port, "--time", "60", "--no-latency", NULL);
  g_autofree char *line = wait_for_line (first, &first->out, "–", 10000);
  g_autoptr(Outcome) json = NULL;
  g_autoptr(Outcome) text = NULL;
  g_autoptr(Outcome) first_done = NULL;
  g_autoptr(Outcome) alone = NULL;
  g_autoptr(Outcome) s = NULL;
  g_autoptr(JsonParser) parser = NULL;

  g_assert_nonnull (line);
  json = run_client ("127.0.0.1", port, "--time", "1", "--no-latency", "--json", NULL);
  text = run_client ("127.0.0.1", port, "--time", "1", "--no-latency", NULL);
  g_subprocess_send_signal (first->proc, SIGINT);
  first_done = proc_finish (first, EXIT_TIMEOUT_MS);
  /* The first one's slot is free once its client has exited. */
  alone = run_client ("127.0.0.1", port, "--time", "1", "--no-latency", NULL);
  s = stop_server (server, SIGINT);

  g_assert_cmpint (json->status, ==, 0);
  parser = parse_json (json->out);
  g_assert_cmpint (member_int (root_of (parser), "server_tests"), ==, 1);
  g_assert_cmpint (text->status, ==, 0);
  assert_contains (text->out, "Server load: 1 other test running\n");
  g_assert_cmpint (first_done->status, ==, 0);
  assert_contains (first_done->out, "(stopped early)");
  g_assert_null (strstr (first_done->out, "Server load"));
  g_assert_cmpint (alone->status, ==, 0);
  assert_contains (alone->out, "Summary over");
  g_assert_null (strstr (alone->out, "Server load"));
}

/* A fixed size asked of a server that predates it: refused before any
 * test runs, never quietly a timed one. */
static void
test_bytes_old_server (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(TcpProxy) proxy = tcp_proxy_start (port, TRUE);
  g_autoptr(Outcome) o = run_client ("127.0.0.1", proxy->port, "--bytes", "10M", "--no-latency", NULL);
  g_autoptr(Outcome) s = stop_server (server, SIGINT);
  g_autofree char *line = g_strdup_printf ("wirespeed: The server at 127.0.0.1 port %u is too old for "
                                           "fixed-size tests: update it, or run a timed test (--time) "
                                           "instead of --bytes\n", proxy->port);

  g_assert_cmpint (o->status, ==, 1);
  g_assert_cmpstr (o->err, ==, line);
  g_assert_null (strstr (o->out, "Interval"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* In the parent, a failed test is reported and the next one runs. */
  if (!g_test_subprocess ())
    g_test_set_nonfatal_assertions ();

  add_test ("/cli/help", test_help, NULL);
  add_test ("/cli/version", test_version, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (usage_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cli/usage/%s", usage_cases[i].name);

      add_test (path, test_usage, &usage_cases[i]);
    }
  add_test ("/cli/usage/json-without-mode-says-choose",
            test_usage_json_without_mode_says_choose, NULL);
  g_test_add_func ("/cli/mode/speed", test_mode_speed);
  add_test ("/cli/mode/speed-iperf3", (GTestDataFunc) test_mode_speed_iperf3, NULL);
  add_test ("/cli/mode/lower-case", test_mode_lower_case, NULL);
  add_test ("/cli/error/refused", test_error_refused, NULL);
  add_test ("/cli/error/host-not-found", test_error_host_not_found, NULL);
  add_test ("/cli/error/refused-translated", test_error_refused_translated, NULL);
  add_test ("/cli/error/tls-required", test_error_tls_required, NULL);
  add_test ("/cli/error/busy", test_error_busy, NULL);
  add_test ("/cli/error/server-too-old", test_fake_too_old, NULL);
  add_test ("/cli/error/server-closes", test_fake_closes, NULL);
  add_test ("/cli/error/server-silent", test_fake_silent, NULL);
  add_test ("/cli/run/slow-server", test_slow_server, NULL);
  add_test ("/cli/run/upload", test_run_upload_text, NULL);
  add_test ("/cli/run/reverse", test_run_reverse_text, NULL);
  add_test ("/cli/run/streams", test_run_streams_text, NULL);
  add_test ("/cli/run/verbose-server", test_run_verbose_server, NULL);
  add_test_full ("/cli/run/ipv6", test_run_ipv6, NULL, ipv6_skip_reason);
  add_test ("/cli/json/upload", test_run_json, "upload");
  add_test ("/cli/json/download", test_run_json, "download");
  add_test ("/cli/json/bidir", test_run_json, "bidir");
  for (guint i = 0; i < G_N_ELEMENTS (bytes_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cli/bytes/%s", bytes_cases[i].name);

      add_test (path, test_bytes, &bytes_cases[i]);
    }
  add_test ("/cli/bytes/incomplete", test_bytes_incomplete, NULL);
  add_test ("/cli/bytes/text", test_bytes_text, NULL);

  add_test ("/cli/addresses/ipv4", test_addresses_direct, "127.0.0.1");
  add_test_full ("/cli/addresses/ipv6", test_addresses_direct, "::1", ipv6_skip_reason);
  add_test ("/cli/addresses/nat", test_addresses_nat, NULL);
  add_test ("/cli/addresses/old-server", test_addresses_old_server, NULL);
  add_test ("/cli/bytes/old-server", test_bytes_old_server, NULL);
  add_test ("/cli/server-load", test_server_load, NULL);
  status = g_test_run ();
  g_clear_pointer (&isolated_tests, g_ptr_array_unref);
  return status;
}
