/* test-signals.c — SIGINT and SIGTERM, from the outside
 *
 * The real binary ($WIRESPEED) is started as a server on --port 0 or as a
 * client against one, and signalled. A server must say goodbye and exit 0;
 * a client stopped early must still print what it measured; nothing may
 * hang or print a stack trace, and the server must go on serving.
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

#define LISTEN_TIMEOUT_MS 10000
#define EXIT_TIMEOUT_MS 20000
/* How long a signalled server or client may take to exit. */
#define SERVER_STOP_MS 5000
#define CLIENT_STOP_MS 10000
/* ... and after a second SIGINT, which must end it at once. */
#define CLIENT_HARD_STOP_MS 5000
/* How long a client may take to print its first interval. */
#define FIRST_INTERVAL_MS 15000

#include "ws-proc-util.h"

static Proc *spawn_client (guint port, ...) G_GNUC_NULL_TERMINATED;

/* Starts `wirespeed --client --target 127.0.0.1 --port PORT ARGS…`. */
static Proc *
spawn_client (guint port,
              ...)
{
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (args, "--client");
  g_ptr_array_add (args, "--target");
  g_ptr_array_add (args, "127.0.0.1");
  g_ptr_array_add (args, "--port");
  g_ptr_array_add (args, port_text);
  va_start (ap, port);
  collect_args (args, ap);
  va_end (ap);
  return proc_spawnv ((const char * const *) args->pdata);
}

/* A short client run that must succeed: proof the server still serves. */
static void
run_client_ok (guint port)
{
  g_autoptr(Proc) p = spawn_client (port, "--time", "1", NULL);
  g_autoptr(Outcome) o = proc_finish (p, EXIT_TIMEOUT_MS);

  g_assert_cmpint (o->status, ==, 0);
  g_assert_nonnull (strstr (o->out, "Summary over"));
  g_assert_cmpstr (o->err, ==, "");
}

/* Waits for the client's first interval line: the test is under way. */
static void
wait_for_first_interval (Proc *client)
{
  g_autofree char *line = wait_for_line (client, &client->out, "–", FIRST_INTERVAL_MS);

  g_assert_nonnull (line);
}

/* ------------------------------------------------------------------ */
/* Each test in its own process                                        */

/* A failure in one test must not hide the others, and no test may run
 * forever: each runs in a child of the test binary, with a deadline. */
#define TEST_TIMEOUT_US (50 * G_USEC_PER_SEC)

typedef struct {
  GTestDataFunc func;
  gconstpointer data;
} Isolated;

/* Freed after the run: LeakSanitizer checks the children too. */
static GPtrArray *isolated_tests;

static void
run_isolated (gconstpointer user_data)
{
  const Isolated *t = user_data;

  if (g_test_subprocess ())
    {
      t->func (t->data);
      return;
    }
  /* On failure the child's stderr, with every transcript, is shown. */
  g_test_trap_subprocess (NULL, TEST_TIMEOUT_US, 0);
  g_test_trap_assert_passed ();
}

static void
add_test (const char    *path,
          GTestDataFunc  func,
          gconstpointer  data)
{
  Isolated *t = g_new0 (Isolated, 1);

  t->func = func;
  t->data = data;
  if (isolated_tests == NULL)
    isolated_tests = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (isolated_tests, t);
  g_test_add_data_func (path, t, run_isolated);
}

/* ------------------------------------------------------------------ */
/* The server                                                          */

static void
test_server_signal (gconstpointer data)
{
  int signum = GPOINTER_TO_INT (data);
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Outcome) o = stop_server (server, signum);

  /* No warning, no stack trace: nothing at all on stderr. */
  g_assert_cmpstr (o->err, ==, "");
  g_assert_true (g_str_has_suffix (o->out, "\nExiting Server\n"));
}

static void
test_server_signal_during_test (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Proc) client = spawn_client (port, "--time", "30", NULL);
  g_autoptr(Outcome) s = NULL;
  g_autoptr(Outcome) c = NULL;
  g_auto(GStrv) lines = NULL;

  wait_for_first_interval (client);
  s = stop_server (server, SIGINT);
  g_assert_cmpstr (s->err, ==, "");

  /* Its server gone, the client fails with one line, and does not hang. */
  c = proc_finish (client, EXIT_TIMEOUT_MS);
  g_assert_cmpint (c->status, ==, 1);
  lines = split_lines (c->err);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0], "wirespeed: "));
}

/* ------------------------------------------------------------------ */
/* The client                                                          */

static gdouble
summary_seconds (const char *out)
{
  const char *summary = strstr (out, "Summary over ");
  char *end = NULL;
  gdouble seconds;

  g_assert_nonnull (summary);
  seconds = g_ascii_strtod (summary + strlen ("Summary over "), &end);
  g_assert_true (end != NULL && g_str_has_prefix (end, " s"));
  return seconds;
}

static void
test_client_sigint (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Proc) client = spawn_client (port, "--time", "30", "--interval", "0.5", NULL);
  g_autoptr(Outcome) c = NULL;
  g_autoptr(Outcome) s = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  wait_for_first_interval (client);
  g_subprocess_send_signal (client->proc, SIGINT);
  c = proc_finish (client, CLIENT_STOP_MS);

  g_assert_cmpint (c->status, ==, 0);
  assert_contains (c->out, "Summary over");
  assert_contains (c->out, "(stopped early)");
  g_assert_cmpfloat (summary_seconds (c->out), <, 10);
  g_assert_cmpfloat (summary_seconds (c->out), >, 0);
  lines = split_lines (c->out);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpstr (lines[n - 1], ==, "Exiting Client");
  g_assert_cmpstr (c->err, ==, "");

  run_client_ok (port);
  s = stop_server (server, SIGINT);
}

static void
test_client_sigint_json (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, "--verbose", NULL);
  g_autoptr(Proc) client = spawn_client (port, "--time", "30", "--json", NULL);
  g_autoptr(Outcome) c = NULL;
  g_autoptr(Outcome) s = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *started = NULL;
  JsonObject *root, *summary;

  /* --json prints nothing before the end: the server tells when the test
   * runs (the second session; the first is the idle latency probe); a
   * second more and data has flowed. */
  started = wait_for_line (server, &server->err, "session started", FIRST_INTERVAL_MS);
  g_assert_nonnull (started);
  g_clear_pointer (&started, g_free);
  started = wait_for_line (server, &server->err, "session started", FIRST_INTERVAL_MS);
  g_assert_nonnull (started);
  g_usleep (G_USEC_PER_SEC);
  g_subprocess_send_signal (client->proc, SIGINT);
  c = proc_finish (client, CLIENT_STOP_MS);

  g_assert_cmpint (c->status, ==, 0);
  json_parser_load_from_data (parser, c->out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (root, "interrupted"));
  g_assert_true (json_object_get_boolean_member (root, "interrupted"));
  g_assert_true (json_object_has_member (root, "summary"));
  summary = json_object_get_object_member (root, "summary");
  g_assert_nonnull (summary);
  g_assert_true (json_object_has_member (summary, "upload_bytes"));
  g_assert_cmpint (json_object_get_int_member (summary, "upload_bytes"), >, 0);
  /* The goodbye goes to stderr, so that stdout stays JSON. */
  g_assert_null (strstr (c->out, "Exiting Client"));
  g_assert_cmpstr (c->err, ==, "Exiting Client\n");

  run_client_ok (port);
  s = stop_server (server, SIGINT);
}

static void
test_client_double_sigint (gconstpointer data)
{
  guint port;
  g_autoptr(Proc) server = spawn_server (&port, NULL);
  g_autoptr(Proc) client = spawn_client (port, "--time", "30", "--interval", "0.5", NULL);
  g_autoptr(Outcome) c = NULL;
  g_autoptr(Outcome) s = NULL;

  wait_for_first_interval (client);
  /* With its server frozen, a client stopping on SIGINT waits for the
   * server's results (10 s at most); a second SIGINT ends that wait. */
  g_subprocess_send_signal (server->proc, SIGSTOP);
  g_subprocess_send_signal (client->proc, SIGINT);
  g_usleep (G_USEC_PER_SEC / 2);
  g_subprocess_send_signal (client->proc, SIGINT);
  c = proc_finish (client, CLIENT_HARD_STOP_MS);
  g_subprocess_send_signal (server->proc, SIGCONT);

  g_assert_cmpint (c->status, ==, 0);
  if (strstr (c->out, "Exiting Client") == NULL)
    assert_contains (c->err, "Exiting Client");
  g_assert_null (strstr (c->err, "wirespeed:"));

  /* A client gone at once leaves the server serving. */
  run_client_ok (port);
  s = stop_server (server, SIGINT);
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

  add_test ("/signals/server/sigint", test_server_signal, GINT_TO_POINTER (SIGINT));
  add_test ("/signals/server/sigterm", test_server_signal, GINT_TO_POINTER (SIGTERM));
  add_test ("/signals/server/sigint-during-test", test_server_signal_during_test, NULL);
  add_test ("/signals/client/sigint", test_client_sigint, NULL);
  add_test ("/signals/client/sigint-json", test_client_sigint_json, NULL);
  add_test ("/signals/client/double-sigint", test_client_double_sigint, NULL);

  status = g_test_run ();
  g_clear_pointer (&isolated_tests, g_ptr_array_unref);
  return status;
}
