/* test-gui.c — the window, driven as a person would, under Xvfb
 *
 * A real WsApplication and WsWindow with its embedded server on an ephemeral
 * loopback port. Each test sets the form, activates win.start (or another
 * action) and reads back what a person would see: the graph's points, the
 * headline figures, the status line, the history list. Settings live in
 * memory and the history in a temporary XDG_DATA_HOME, so nothing of the
 * user's is touched. A PNG of the window goes to the build directory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "ws-application.h"
#include "ws-channel.h"
#include "ws-client.h"
#include "ws-fake-server.h"
#include "ws-gap-meter.h"
#include "ws-listen-util.h"
#include "ws-server.h"
#include "ws-chart.h"
#include "ws-figures.h"
#include "ws-gui-util.h"
#include "ws-history-view.h"
#include "ws-server-row.h"
#include "ws-test-form.h"
#include "ws-window.h"

static WsApplication *app;
static WsWindow *window;
static char *data_home;

/* ---- What a person sees, read from the window's properties ---- */

/* The window's part @name ("form", "figures"…); the window keeps it. */
static gpointer
part (const char *name)
{
  g_autoptr(GObject) object = NULL;

  g_object_get (window, name, &object, NULL);
  g_assert_nonnull (object);
  return object;
}

/* A string property of @object; the copy lasts until the next read of the
 * same property there, so it can be compared in place. */
static const char *
read_string (gpointer    object,
             const char *name)
{
  char *text = NULL;

  g_object_get (object, name, &text, NULL);
  g_object_set_data_full (G_OBJECT (object), name, text, g_free);
  return text;
}

static gboolean
is_running (void)
{
  gboolean running;

  g_object_get (window, "running", &running, NULL);
  return running;
}

/* The result shown; it lasts until the next read. */
static WsResult *
shown_result (void)
{
  WsResult *result = NULL;

  g_object_get (window, "result", &result, NULL);
  g_object_set_data_full (G_OBJECT (window), "result", result, (GDestroyNotify) ws_result_unref);
  return result;
}

/* The headline figure @name ("figure-upload"…): NULL while it is hidden. */
static const char *
get_figure (const char *name)
{
  return read_string (part ("figures"), name);
}

static const char *
get_status (void)
{
  return read_string (part ("figures"), "status");
}

static const char *
get_detail (void)
{
  return read_string (part ("figures"), "detail");
}

static guint
n_points (void)
{
  guint n;

  g_object_get (part ("figures"), "n-points", &n, NULL);
  return n;
}

static WsHistoryView *
history_view (void)
{
  return part ("history-view");
}

static void
set_server_active (gboolean active)
{
  g_object_set (part ("server-row"), "active", active, NULL);
}

static guint16
server_port (void)
{
  guint port;

  g_object_get (part ("server-row"), "port", &port, NULL);
  return port;
}

/* What the server switch says under its title. */
static const char *
server_text (void)
{
  return read_string (part ("server-row"), "subtitle");
}

static void
set_form (const char *target,
          WsTestMode  mode,
          guint       duration_s)
{
  g_object_set (part ("form"), "target", target, "mode", mode, "duration", duration_s, NULL);
}

static void
set_security (gboolean    tls,
              const char *fingerprint,
              const char *key)
{
  g_object_set (part ("form"), "tls", tls, "fingerprint", fingerprint, "key", key, NULL);
}

static gboolean
form_iperf3 (void)
{
  gboolean iperf3;

  g_object_get (part ("form"), "iperf3", &iperf3, NULL);
  return iperf3;
}

static guint
form_duration (void)
{
  guint duration;

  g_object_get (part ("form"), "duration", &duration, NULL);
  return duration;
}

/* Lets the main loop run until @done says so, failing after @seconds. */
static void
spin_until (gboolean (*done) (gpointer),
            gpointer   data,
            guint      seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!done (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
test_finished (gpointer data)
{
  return !is_running ();
}

static gboolean
has_entries (gpointer data)
{
  return ws_history_view_get_n_entries (history_view ()) == GPOINTER_TO_UINT (data);
}

static gboolean
history_settled (gpointer data)
{
  WsHistory *store = ws_application_get_history (app, NULL);
  g_autoptr(GPtrArray) rows = ws_history_list (store, NULL);

  return rows != NULL && rows->len == ws_history_view_get_n_entries (history_view ());
}

/* The number of rows once every store on its way is written and listed:
 * results are kept, and the list read, on workers. */
static guint
settled_entries (void)
{
  ws_history_flush (ws_application_get_history (app, NULL));
  spin_until (history_settled, NULL, 30);
  return ws_history_view_get_n_entries (history_view ());
}

/* Results shown so far ("notify::result"). */
static guint results_shown;

static gboolean
shown_since (gpointer data)
{
  return results_shown > GPOINTER_TO_UINT (data);
}

/* Opens history row @index and waits for its result: it is read on a
 * worker (an hour of intervals is 18 MB of JSON, long to parse under ASan
 * on a loaded machine). */
static void
open_row (guint index)
{
  guint before = results_shown;

  g_assert_true (ws_history_view_activate_row (history_view (), index));
  spin_until (shown_since, GUINT_TO_POINTER (before), 120);
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
loopback_target (void)
{
  guint16 port = server_port ();

  g_assert_cmpuint (port, >, 0);
  return g_strdup_printf ("localhost:%u", port);
}

/* Starts a test from the form and waits for it to end. */
static void
run_test (WsTestMode mode,
          guint      seconds)
{
  g_autofree char *target = loopback_target ();

  set_form (target, mode, seconds);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  g_assert_true (is_running ());
  spin_until (test_finished, NULL, seconds * 3 + 30);
  spin_for (50);
}

static gboolean
figure_is (const char *name,
           const char *unit)
{
  const char *text = get_figure (name);

  return text != NULL && g_ascii_isdigit (text[0]) && strstr (text, unit) != NULL;
}

static void
test_server_switch (void)
{
  guint16 port;
  g_autofree char *expected = NULL;

  set_server_active (TRUE);
  port = server_port ();
  g_assert_cmpuint (port, >, 0);
  expected = g_strdup_printf ("port %u", port);
  g_assert_nonnull (strstr (server_text (), expected));
}

static void
test_port_in_use (void)
{
  GSettings *settings = ws_application_get_settings (app);

  /* Off, then on a port another program holds: the switch must refuse. */
  set_server_active (FALSE);
  g_assert_cmpuint (server_port (), ==, 0);
  {
    g_autoptr(GSocketListener) blocker = g_socket_listener_new ();
    guint16 taken = g_socket_listener_add_any_inet_port (blocker, NULL, NULL);

    set_server_active (FALSE);
    g_settings_set_uint (settings, "server-port", taken);
    set_server_active (TRUE);
    g_assert_cmpuint (server_port (), ==, 0);
    g_assert_nonnull (strstr (server_text (), "Cannot start the server"));
    g_socket_listener_close (blocker);
  }
  g_settings_set_uint (settings, "server-port", 0);
  set_server_active (TRUE);
  g_assert_cmpuint (server_port (), >, 0);
}

typedef struct {
  WsTestMode mode;
  guint seconds;
} Run;

/* A test from the form until its result is kept, listed and drawn: the
 * window must stay responsive whatever the engine does. */
static void
run_and_keep (gpointer data)
{
  const Run *run = data;
  guint before = ws_history_view_get_n_entries (history_view ());

  run_test (run->mode, run->seconds);
  spin_until (has_entries, GUINT_TO_POINTER (before + 1), 30);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
}

static void
test_tcp_stream (void)
{
  WsHistoryView *history = history_view ();
  guint before = settled_entries ();
  Run run = { WS_TEST_TCP_STREAM, 2 };
  WsResult *result;

  gap_measure ("tcp-stream (2 s)", run_and_keep, &run);

  result = shown_result ();
  g_assert_nonnull (result);
  g_assert_false (result->interrupted);
  g_assert_cmpuint (result->upload.receiver_bytes, >, 0);
  /* Ten samples a second for two seconds on a quiet machine; on a loaded
   * one the engine's late ticks make fewer, longer intervals (as few as 6
   * seen), which still reach the end of the test. The window shows every
   * one. */
  g_assert_cmpuint (n_points (), ==, result->samples->len);
  g_assert_cmpuint (result->samples->len, >=, 4);
  g_assert_cmpfloat (g_array_index (result->samples, WsSample, result->samples->len - 1).end_s, >=, 1.5);
  g_assert_true (figure_is ("figure-upload", "bit/s"));
  g_assert_cmpstr (get_figure ("figure-download"), ==, "—");
  g_assert_cmpstr (get_status (), ==, "Finished");
  /* Kept: one row a run. */
  g_assert_cmpuint (ws_history_view_get_n_entries (history), >, before);
  {
    g_auto(GStrv) recent = g_settings_get_strv (ws_application_get_settings (app), "recent-targets");
    g_autofree char *target = loopback_target ();

    g_assert_cmpstr (recent[0], ==, target);
  }
}

static void
test_units (void)
{
  GSettings *settings = ws_application_get_settings (app);

  g_assert_nonnull (shown_result ());
  g_settings_set_string (settings, "units", "bytes");
  g_assert_true (figure_is ("figure-upload", "B/s"));
  g_assert_null (strstr (get_figure ("figure-upload"), "bit/s"));
  g_settings_set_string (settings, "units", "bits");
  g_assert_true (figure_is ("figure-upload", "bit/s"));
}

static void
test_tcp_rr (void)
{
  WsResult *result;

  run_test (WS_TEST_TCP_RR, 1);
  result = shown_result ();
  g_assert_nonnull (result);
  g_assert_cmpuint (result->transactions, >, 100);
  /* Throughput figures give way to transactions in request/response */
  g_assert_null (get_figure ("figure-download"));
  g_assert_true (g_ascii_isdigit (get_figure ("figure-transactions")[0]));
  g_assert_true (figure_is ("figure-loaded", "ms"));
  g_assert_nonnull (strstr (get_detail (), "Round trip: p50"));
  /* Loopback: the server saw the client's own address, so no NAT line. */
  g_assert_nonnull (result->client_address);
  g_assert_cmpstr (result->client_address, ==, result->local_address);
  g_assert_null (strstr (get_detail (), "NAT"));
}

static void
test_speed (void)
{
  Run run = { WS_TEST_SPEED, 1 };
  WsResult *result;

  /* Three phases, each with its own figures and chart lines: as smooth. */
  settled_entries ();
  gap_measure ("speed", run_and_keep, &run);
  result = shown_result ();
  g_assert_nonnull (result);
  g_assert_true (figure_is ("figure-download", "bit/s"));
  g_assert_true (figure_is ("figure-upload", "bit/s"));
  g_assert_true (figure_is ("figure-idle", "ms"));
  g_assert_true (figure_is ("figure-loaded", "ms"));
  g_assert_true (g_ascii_isdigit (get_figure ("figure-rpm")[0]));
  g_assert_cmpuint (result->idle_latency.count, >, 0);
}

static gboolean
has_points (gpointer data)
{
  return n_points () >= GPOINTER_TO_UINT (data);
}

static gboolean
no_clients (gpointer data)
{
  return strstr (server_text (), " 0 clients") != NULL;
}

static void save_root_screenshot (const char *name);

static void
test_stop (void)
{
  g_autofree char *target = loopback_target ();
  guint before = settled_entries ();
  gint64 stopped;

  set_form (target, WS_TEST_TCP_STREAM, 60);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (has_points, GUINT_TO_POINTER (5), 30);
  /* The live figures and status line, for a person to look at. */
  save_root_screenshot ("gui-running-root.png");
  stopped = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL));
  spin_until (test_finished, NULL, 10);
  g_test_message ("stop took %.0f ms", (g_get_monotonic_time () - stopped) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - stopped, <, 2 * G_USEC_PER_SEC);
  spin_until (has_entries, GUINT_TO_POINTER (before + 1), 30);
  /* What was measured before the stop is kept, and said to be partial. */
  g_assert_nonnull (shown_result ());
  g_assert_true (shown_result ()->interrupted);
  g_assert_true (figure_is ("figure-upload", "bit/s"));
  /* …and the embedded server lets the stopped session go. */
  spin_until (no_clients, NULL, 10);
}

static void
test_history_reopen (void)
{
  WsResult *shown;

  /* The newest is the stopped TCP stream; the one before it the speed test. */
  g_assert_cmpuint (settled_entries (), >=, 4);
  open_row (1);
  shown = shown_result ();
  g_assert_nonnull (shown);
  g_assert_cmpint (shown->mode, ==, WS_TEST_SPEED);
  g_assert_cmpuint (shown->samples->len, >, 0);
  g_assert_cmpuint (n_points (), ==, shown->samples->len);
  g_assert_true (figure_is ("figure-download", "bit/s"));
  g_assert_true (figure_is ("figure-idle", "ms"));
  g_assert_nonnull (strstr (get_status (), "Speed test of localhost"));
}

/* A result whose server saw another address than the client's own, as
 * behind NAT, reopened from the history: the detail says so. */
static void
test_nat (void)
{
  WsHistory *store = ws_application_get_history (app, NULL);
  WsHistoryView *history = history_view ();
  g_autoptr(GPtrArray) entries = ws_history_list (store, NULL);
  g_autoptr(WsResult) behind = NULL;
  g_autoptr(GError) error = NULL;
  const char *detail;

  /* The newest real test, from loopback, with a server that said where
   * it saw the client from (iperf3 does not). */
  g_assert_nonnull (entries);
  for (guint i = 0; i < entries->len && behind == NULL; i++)
    {
      const WsHistoryEntry *e = g_ptr_array_index (entries, i);
      g_autoptr(WsResult) r = ws_history_get (store, e->id, NULL);

      if (r != NULL && r->client_address != NULL)
        behind = g_steal_pointer (&r);
    }
  g_assert_nonnull (behind);
  g_assert_nonnull (behind->local_address);
  g_free (behind->client_address);
  behind->client_address = g_strdup ("198.51.100.7:40000");
  /* The newest, so the first row of the history. */
  g_clear_pointer (&behind->start_time, g_date_time_unref);
  behind->start_time = g_date_time_new_now_utc ();
  g_assert_cmpint (ws_history_add (store, behind, &error), >, 0);
  g_assert_no_error (error);
  ws_history_view_reload (history);
  spin_until (history_settled, NULL, 30);
  open_row (0);
  detail = get_detail ();
  g_assert_nonnull (strstr (detail, "The server saw this computer as 198.51.100.7:40000 (local "));
  g_assert_nonnull (strstr (detail, behind->local_address));
  g_assert_nonnull (strstr (detail, "NAT between them"));
}

/* The other windows open, show and close without a critical. */
static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

/* A window maps when the X server and GTK get round to it: wait for it. */
static gboolean
has_toplevel (gpointer type)
{
  return find_toplevel ((GType) type) != NULL;
}

static gboolean
has_no_toplevel (gpointer type)
{
  return find_toplevel ((GType) type) == NULL;
}

static void
check_opens (const char *action,
             GType       type)
{
  GtkWindow *opened;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, NULL));
  spin_until (has_toplevel, (gpointer) type, 30);
  opened = find_toplevel (type);
  gtk_window_close (opened);
  spin_until (has_no_toplevel, (gpointer) type, 30);
}

static void
test_other_windows (void)
{
  GSettings *settings = ws_application_get_settings (app);

  check_opens ("app.preferences", ADW_TYPE_PREFERENCES_WINDOW);
  check_opens ("app.about", ADW_TYPE_ABOUT_WINDOW);
  check_opens ("win.show-help-overlay", GTK_TYPE_SHORTCUTS_WINDOW);
  /* The shortcuts the help overlay lists are the ones installed. */
  {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.start");
    g_assert_cmpstr (accels[0], ==, "<Control>Return");
  }
  /* A new default applies to the form at once. */
  g_settings_set_uint (settings, "default-duration", 17);
  g_assert_cmpuint (form_duration (), ==, 17);
  g_settings_reset (settings, "default-duration");
}

static void
test_errors (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 closed_port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  g_autofree char *refused = g_strdup_printf ("127.0.0.1:%u", closed_port);

  /* A port nobody listens on: refused, said so, and the window is ready again. */
  g_socket_listener_close (listener);
  set_form (refused, WS_TEST_TCP_STREAM, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 30);
  g_assert_true (g_str_has_prefix (get_status (), "The test failed:"));
  g_assert_nonnull (strstr (get_status (), "refused"));

  set_form ("no-such-host.invalid", WS_TEST_TCP_STREAM, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 60);
  g_assert_true (g_str_has_prefix (get_status (), "The test failed:"));
  g_assert_nonnull (strstr (get_status (), "not found"));
}

/* Runs the form against @target and returns the status line it ends with. */
static const char *
run_against (const char *target)
{
  set_form (target, WS_TEST_TCP_STREAM, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 60);
  return get_status ();
}

static void
on_blocker_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(WsResult) r = ws_client_run_finish (WS_CLIENT (source), result, NULL);

  *(gboolean *) data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
server_full (gpointer data)
{
  return ws_server_get_n_sessions (data) >= 1;
}

/* A server whose only slot is taken says so, and the window shows it. */
static void
test_busy (void)
{
  g_autoptr(WsServer) server = ws_server_new ();
  g_autoptr(WsClient) blocker = ws_client_new ();
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  gboolean blocker_done = FALSE;
  WsTestConfig config;

  ws_server_set_port (server, 0);
  ws_server_set_max_clients (server, 1);
  g_assert_true (ws_server_start (server, &error));
  ws_test_config_init (&config);
  g_free (config.target);
  config.target = g_strdup ("127.0.0.1");
  config.port = ws_server_get_port (server);
  config.duration_s = 60;
  config.latency_probe = FALSE;
  ws_client_run_async (blocker, &config, cancel, on_blocker_done, &blocker_done);
  ws_test_config_clear (&config);
  spin_until (server_full, server, 30);

  target = g_strdup_printf ("127.0.0.1:%u", ws_server_get_port (server));
  g_assert_nonnull (strstr (run_against (target), "The server is busy"));

  g_cancellable_cancel (cancel);
  spin_until (is_true, &blocker_done, 30);
  ws_server_stop (server);
}

/* The embedded server with a certificate from the preferences, and the
 * form pinning it. */
static void
test_tls (void)
{
  GSettings *settings = ws_application_get_settings (app);
  g_autofree char *cert = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server.pem", NULL);
  g_autofree char *key = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server-key.pem", NULL);
  g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_files (cert, key, NULL);
  g_autofree char *fingerprint = ws_tls_certificate_fingerprint (certificate);
  g_autofree char *target = NULL;
  const char *status;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_fail_printf ("GIO has no TLS backend: install glib-networking (build-aux/deps.sh does)");
      return;
    }
  set_server_active (FALSE);
  g_settings_set_string (settings, "server-tls-certificate", cert);
  g_settings_set_string (settings, "server-tls-key", key);
  set_server_active (TRUE);
  g_assert_nonnull (strstr (server_text (), fingerprint));
  target = loopback_target ();

  /* Without TLS the server says what is missing, and the window what to
   * switch on, naming its own control, never a CLI flag; pinned, the test
   * runs. */
  set_security (FALSE, NULL, NULL);
  status = run_against (target);
  g_assert_nonnull (strstr (status, "requires TLS"));
  g_assert_nonnull (strstr (status, "switch on “Encrypt with TLS” under Advanced"));
  g_assert_null (strstr (status, "--"));
  /* (The form remembers TLS per server: choose the server first.) */
  set_form (target, WS_TEST_TCP_STREAM, 1);
  set_security (TRUE, fingerprint, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 30);
  g_assert_cmpstr (get_status (), ==, "Finished");
  /* Chosen again, the server comes back with its pin. */
  set_security (FALSE, NULL, NULL);
  set_form ("elsewhere", WS_TEST_TCP_STREAM, 1);
  set_form (target, WS_TEST_TCP_STREAM, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 30);
  g_assert_cmpstr (get_status (), ==, "Finished");
  set_security (TRUE, "00:11", NULL);
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL) && is_running ());

  set_security (FALSE, NULL, NULL);
  set_server_active (FALSE);
  g_settings_reset (settings, "server-tls-certificate");
  g_settings_reset (settings, "server-tls-key");
  set_server_active (TRUE);
}

/* Run alone, as the gui-no-tls test, with GIO_MODULE_DIR at an empty
 * folder: a machine without glib-networking. The app says so under its TLS
 * switch, under the server switch when a certificate is set, and in the
 * status of a TLS test; a critical would abort (G_DEBUG=fatal-criticals). */
static void
test_no_tls (void)
{
  GSettings *settings = ws_application_get_settings (app);
  g_autofree char *cert = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server.pem", NULL);
  g_autofree char *key = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server-key.pem", NULL);
  g_autofree char *target = NULL;

  g_assert_false (g_tls_backend_supports_tls (g_tls_backend_get_default ()));
  g_assert_nonnull (strstr (read_string (part ("form"), "tls-subtitle"), "TLS needs glib-networking"));

  set_server_active (FALSE);
  g_settings_set_string (settings, "server-tls-certificate", cert);
  g_settings_set_string (settings, "server-tls-key", key);
  set_server_active (TRUE);
  g_assert_nonnull (strstr (server_text (), "TLS needs glib-networking"));

  set_server_active (FALSE);
  g_settings_reset (settings, "server-tls-certificate");
  g_settings_reset (settings, "server-tls-key");
  set_server_active (TRUE);
  target = loopback_target ();
  set_form (target, WS_TEST_TCP_STREAM, 1);
  set_security (TRUE, NULL, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 30);
  g_assert_nonnull (strstr (get_status (), "TLS needs glib-networking"));
  /* Plaintext still works on this machine. */
  set_security (FALSE, NULL, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 30);
  g_assert_cmpstr (get_status (), ==, "Finished");
}

static gboolean
subprocess_exited (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

/* A persistent `iperf3 -s` on a free loopback port, listening when this
 * returns. */
static GSubprocess *
start_iperf3_server (const char *iperf3,
                     guint16    *port)
{
  return spawn_iperf3_listening (iperf3, FALSE, port);
}

/* An iperf3 server, not marked as one: found out, tested, marked; and a
 * busy one is shown as busy. */
static void
test_iperf3 (void)
{
  g_autofree char *iperf3 = g_find_program_in_path ("iperf3");
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GSubprocess) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *port_s = NULL;
  g_auto(GStrv) marked = NULL;
  guint16 port;

  if (iperf3 == NULL)
    {
      g_test_fail_printf ("iperf3 is not installed (build-aux/deps.sh installs it)");
      return;
    }
  server = start_iperf3_server (iperf3, &port);
  target = g_strdup_printf ("127.0.0.1:%u", port);
  set_form (target, WS_TEST_TCP_STREAM, 1);
  g_assert_false (form_iperf3 ());
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 30);
  g_assert_cmpstr (get_status (), ==, "Finished");
  g_assert_cmpstr (shown_result ()->peer_protocol, ==, "iperf3");
  g_assert_true (figure_is ("figure-upload", "bit/s"));
  g_assert_nonnull (strstr (get_detail (), "iperf3 server"));
  g_assert_null (shown_result ()->client_address);
  g_assert_true (form_iperf3 ());
  marked = g_settings_get_strv (ws_application_get_settings (app), "iperf3-targets");
  g_assert_true (g_strv_contains ((const char *const *) marked, target));

  /* Chosen again, it is still marked; busy with a real iperf3 client. */
  set_form ("elsewhere", WS_TEST_TCP_STREAM, 1);
  g_assert_false (form_iperf3 ());
  port_s = g_strdup_printf ("%u", port);
  other = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                            iperf3, "-c", "127.0.0.1", "-p", port_s, "-t", "8", NULL);
  g_assert_no_error (error);
  wait_established (port, 2, 60);
  g_assert_nonnull (strstr (run_against (target), "busy"));
  g_assert_true (form_iperf3 ());
  spin_until (subprocess_exited, other, 30);
  g_assert_true (g_subprocess_get_successful (other));

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
}

static void
test_version_mismatch (void)
{
  g_autoptr(FakeServer) fake = fake_server_start (FAKE_TOO_OLD);
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u", fake->port);

  g_assert_nonnull (strstr (run_against (target), "The server is too old"));
}

static void
check_magic (const char *path,
             const char *magic)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (memcmp (contents, magic, strlen (magic)) == 0);
}

static void
test_export_graph (void)
{
  const char *names[] = { "graph.png", "graph.svg", "graph.pdf" };
  const char *magics[] = { "\x89PNG", "<?xml", "%PDF" };
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = g_build_filename (data_home, "graph.txt", NULL);
  g_autoptr(GFile) bad_file = g_file_new_for_path (bad);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (data_home, names[i], NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);

      g_assert_true (ws_chart_save (ws_figures_get_chart (part ("figures")), file, &error));
      g_assert_no_error (error);
      check_magic (path, magics[i]);
    }
  g_assert_false (ws_chart_save (ws_figures_get_chart (part ("figures")), bad_file, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME);
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
}

static void
on_result_saved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ws_gui_save_result_finish (result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

/* win.save-result's work, after the file dialog: the JSON is built and
 * written on a worker, the same as --json would print it. */
static void
test_save_result (void)
{
  g_autofree char *path = g_build_filename (data_home, "result.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *want = ws_result_to_json_string (shown_result ());
  g_autofree char *have = NULL;
  gboolean saved = FALSE;

  ws_gui_save_result_async (shown_result (), file, on_result_saved, &saved);
  spin_until (is_true, &saved, 30);
  g_assert_true (g_file_get_contents (path, &have, NULL, NULL));
  g_assert_cmpstr (have, ==, want);
}

static void
on_clipboard_text (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  char **text = data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static gboolean
is_set (gpointer data)
{
  return *(char **) data != NULL;
}

static void
test_copy_summary (void)
{
  g_autofree char *text = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-summary", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (window)), NULL, on_clipboard_text, &text);
  spin_until (is_set, &text, 10);
  g_assert_true (g_str_has_prefix (text, "Wirespeed Speed test of localhost:"));
  g_assert_nonnull (strstr (text, "Download"));
}

/* Writes what the window shows now to WS_TEST_OUTDIR/@name, for a person
 * to look at (and for data/screenshots/). */
static void
save_screenshot (const char *name)
{
  GtkWidget *widget = GTK_WIDGET (window);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  const char *dir = g_getenv ("WS_TEST_OUTDIR");
  g_autofree char *path = g_build_filename (dir ? dir : ".", name, NULL);

  /* Let the last changes reach the screen first; a slow machine (ASan)
   * may need more than one frame before the window has something to show. */
  for (guint tries = 0; node == NULL && tries < 50; tries++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gtk_widget_queue_draw (widget);
      spin_for (100);
      gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("window written to %s", path);
}

/* The X server's own picture of the screen (ImageMagick's import), beside
 * GTK's rendering of the window: what a person at that display sees. */
static void
save_root_screenshot (const char *name)
{
  const char *dir = g_getenv ("WS_TEST_OUTDIR");
  g_autofree char *path = g_build_filename (dir ? dir : ".", name, NULL);
  g_autofree char *import = g_find_program_in_path ("import");
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (import == NULL || g_getenv ("DISPLAY") == NULL)
    return;
  spin_for (300);
  g_assert_true (g_spawn_sync (NULL, (char *[]) { import, "-window", "root", path, NULL }, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_test_message ("screen written to %s", path);
}

/* `python3 -m http.server` on a free loopback port, serving a folder
 * with a 20 MB file f.bin; the port is where it says it serves. */
static GSubprocess *
start_python_server (const char  *dir,
                     guint16     *port)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (dir, "f.bin", NULL);
  g_autofree char *data = g_malloc (20 * 1000 * 1000);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  GSubprocess *server;

  for (gsize i = 0; i < 20 * 1000 * 1000; i++)
    data[i] = g_random_int ();
  g_assert_true (g_file_set_contents (file, data, 20 * 1000 * 1000, &error));
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                             &error, "python3", "-u", "-m", "http.server", "0", "--bind",
                             "127.0.0.1", "--directory", dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, " port "));
  *port = g_ascii_strtoull (strstr (line, " port ") + strlen (" port "), NULL, 10);
  g_assert_cmpuint (*port, >, 0);
  return server;
}

/* A URL in the server field means an HTTP test; against python's
 * http.server it downloads whole copies of the file, drawn live, kept in
 * the history and shown again from it. */
static void
test_http (void)
{
  guint before = settled_entries ();
  g_autofree char *dir = g_build_filename (data_home, "www", NULL);
  g_autoptr(GSubprocess) server = NULL;
  g_autofree char *url = NULL;
  guint mode;
  WsResult *result;
  guint16 port;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  server = start_python_server (dir, &port);
  url = g_strdup_printf ("http://127.0.0.1:%u/f.bin", port);
  /* Typed over a TCP test, the URL switches the test type. */
  set_form ("localhost", WS_TEST_TCP_STREAM, 2);
  g_object_set (part ("form"), "target", url, NULL);
  g_object_get (part ("form"), "mode", &mode, NULL);
  g_assert_cmpuint (mode, ==, WS_TEST_HTTP);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.start", NULL));
  spin_until (test_finished, NULL, 60);
  spin_for (50);

  result = shown_result ();
  g_assert_nonnull (result);
  g_assert_cmpstr (get_status (), ==, "Finished");
  g_assert_cmpint (result->mode, ==, WS_TEST_HTTP);
  g_assert_nonnull (result->http);
  g_assert_cmpuint (result->http->status, ==, 200);
  /* Every answered request counts, the last of each stream that the end
   * of the test cut short too: the file's 20 MB each, but for those. */
  g_assert_cmpuint (result->http->requests, >=, result->streams);
  g_assert_cmpuint (result->download.receiver_bytes, <=, 20 * 1000 * 1000 * result->http->requests);
  g_assert_cmpuint (result->download.receiver_bytes, >=,
                    20 * 1000 * 1000 * (result->http->requests - result->streams));
  g_assert_cmpuint (result->samples->len, >=, 15);
  g_assert_cmpuint (n_points (), ==, result->samples->len);
  g_assert_true (figure_is ("figure-download", "bit/s"));
  g_assert_true (figure_is ("figure-idle", "ms"));
  g_assert_nonnull (strstr (get_detail (), "HTTP 200 over HTTP/1.0: DNS"));
  save_screenshot ("gui-http.png");
  save_root_screenshot ("gui-http-root.png");

  spin_until (has_entries, GUINT_TO_POINTER (before + 1), 30);
  open_row (0);
  g_assert_cmpint (shown_result ()->mode, ==, WS_TEST_HTTP);
  g_assert_cmpstr (shown_result ()->http->url, ==, url);
  g_assert_nonnull (strstr (get_detail (), "HTTP 200 over HTTP/1.0"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-history", NULL));
  save_screenshot ("gui-http-history.png");

  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

static void
test_screenshot (void)
{
  save_screenshot ("gui-window.png");
}

/* The graph's grid and labels take the theme's colours. */
static void
test_screenshot_dark (void)
{
  AdwStyleManager *style = adw_style_manager_get_default ();

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (adw_style_manager_get_dark (style));
  save_screenshot ("gui-window-dark.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

static void
test_screenshot_history (void)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-history", NULL));
  save_screenshot ("gui-history.png");
  open_row (0);
}

/* ---- Long histories and long results ---- */

/* A TCP upload of @n intervals of 100 ms, as the engine would store it;
 * the rate and the probe's latency wander, so the chart has a shape. */
static WsResult *
synthetic_result (const char *target,
                  guint       n)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (target);
  r->port = 5201;
  r->mode = WS_TEST_TCP_STREAM;
  r->direction = WS_DIRECTION_UPLOAD;
  r->streams = 1;
  r->interval_s = 0.1;
  r->duration_s = n / 10;
  r->elapsed_s = r->upload_s = n * 0.1;
  r->start_time = g_date_time_new_now_utc ();
  r->upload.measured = TRUE;
  for (guint i = 0; i < n; i++)
    {
      WsSample s = { .index = i, .start_s = i * 0.1, .end_s = (i + 1) * 0.1 };
      gdouble bps = 900e6 + 80e6 * sin (i / 50.0) + g_random_double_range (-20e6, 20e6);

      s.upload.measured = TRUE;
      s.upload.sender_bytes = s.upload.receiver_bytes = bps * 0.1 / 8;
      s.probe.count = 10;
      s.probe.min = s.probe.mean = s.probe.p50 = s.probe.p90 = s.probe.p99 = s.probe.p999 =
        s.probe.max = 0.3 + 0.1 * cos (i / 70.0) + g_random_double_range (0, 0.05);
      r->upload.sender_bytes += s.upload.sender_bytes;
      r->upload.receiver_bytes += s.upload.receiver_bytes;
      ws_result_add_sample (r, &s);
    }
  return r;
}

/* @n copies of history row @id, each a minute older than the one before,
 * written in one transaction beside the window's own connection. */
static void
copy_history_row (gint64 id,
                  guint  n)
{
  g_autofree char *path = ws_history_default_path ();
  g_autofree char *sql = g_strdup_printf (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %u)"
    " INSERT INTO results (start_time, target, port, mode, direction, streams,"
    " duration_s, elapsed_s, interrupted, upload_bps, download_bps, latency_ms, rpm, json)"
    " SELECT r.start_time - i * 60000000, r.target, r.port, r.mode, r.direction, r.streams,"
    " r.duration_s, r.elapsed_s, r.interrupted, r.upload_bps, r.download_bps, r.latency_ms,"
    " r.rpm, r.json FROM n, (SELECT * FROM results WHERE id = %" G_GINT64_FORMAT ") AS r",
    n, id);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, n);
  sqlite3_close (db);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_descendant (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
shows_target (gpointer data)
{
  WsResult *result = shown_result ();

  return result != NULL && g_strcmp0 (result->target, data) == 0;
}

/* Scrolls the history list from top to bottom in @steps, a frame each. */
static void
scroll_history (guint steps)
{
  GtkWidget *scroller = find_descendant (GTK_WIDGET (history_view ()), GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adj;

  g_assert_nonnull (scroller);
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  for (guint i = 1; i <= steps; i++)
    {
      gdouble end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

      gtk_adjustment_set_value (adj, end * i / steps);
      gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
    }
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, 0);
}

static void
set_units_and_draw (const char *units)
{
  g_settings_set_string (ws_application_get_settings (app), "units", units);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
}

/* The History page read again with @data rows, shown, scrolled from top to
 * bottom, shown in bytes and in bits. */
static void
fill_history (gpointer data)
{
  guint n = GPOINTER_TO_UINT (data);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-history", NULL));
  ws_history_view_reload (history_view ());
  spin_until (has_entries, GUINT_TO_POINTER (n), 30);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  scroll_history (30);
  set_units_and_draw ("bytes");
  set_units_and_draw ("bits");
}

/* 2,000 results more: the History page fills, is scrolled to its end and
 * changes units without the window stalling; the last row opens. */
static void
test_history_fill (void)
{
  WsHistory *store = ws_application_get_history (app, NULL);
  g_autoptr(WsResult) old = synthetic_result ("fill.example", 20);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  guint before = settled_entries ();
  g_autoptr(GError) error = NULL;
  gint64 id;

  /* A day ago, so that the copies go after every real test. */
  g_date_time_unref (old->start_time);
  old->start_time = g_date_time_add_days (now, -1);
  id = ws_history_add (store, old, &error);
  g_assert_no_error (error);
  copy_history_row (id, 1999);

  gap_measure ("history-fill (2,000 results)", fill_history, GUINT_TO_POINTER (before + 2000));
  save_root_screenshot ("gui-history-fill-root.png");

  open_row (before + 1999);
  g_assert_true (shows_target ((gpointer) "fill.example"));
  g_assert_cmpuint (n_points (), ==, 20);
}

/* The pointer moved across the chart in @steps, a frame each, as its
 * motion controller tells it; then gone. */
static void
hover_chart (guint steps)
{
  GtkWidget *chart = GTK_WIDGET (ws_figures_get_chart (part ("figures")));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (chart);
  g_autoptr(GtkEventController) motion = NULL;
  int width = gtk_widget_get_width (chart);

  for (guint i = 0; motion == NULL && i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_MOTION (c))
        motion = g_steal_pointer (&c);
    }
  g_assert_nonnull (motion);
  for (guint i = 1; i <= steps; i++)
    {
      g_signal_emit_by_name (motion, "motion", (gdouble) width * i / (steps + 1), 100.0);
      gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
    }
  g_signal_emit_by_name (motion, "leave");
}

/* The newest result of @data rows opened from the history, drawn, hovered,
 * drawn again in bytes and in bits. */
static void
open_newest (gpointer data)
{
  ws_history_view_reload (history_view ());
  spin_until (has_entries, data, 30);
  open_row (0);
  g_assert_true (shows_target ((gpointer) "hour.example"));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  hover_chart (30);
  set_units_and_draw ("bytes");
  set_units_and_draw ("bits");
}

/* An hour of 100 ms intervals, reopened from the history: loaded, drawn,
 * drawn again in other units, without the window stalling. */
static void
test_long_result (void)
{
  WsHistory *store = ws_application_get_history (app, NULL);
  g_autoptr(WsResult) hour = synthetic_result ("hour.example", 36000);
  guint before = settled_entries ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (ws_history_add (store, hour, &error), >, 0);
  g_assert_no_error (error);
  gap_measure ("long-result (36,000 intervals)", open_newest, GUINT_TO_POINTER (before + 1));
  save_root_screenshot ("gui-long-result-root.png");

  g_assert_cmpuint (shown_result ()->samples->len, ==, 36000);
  g_assert_cmpuint (n_points (), ==, 36000);
  g_assert_true (figure_is ("figure-upload", "bit/s"));
  g_assert_nonnull (strstr (get_status (), "of hour.example"));
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
on_result_shown (WsWindow   *w,
                 GParamSpec *pspec)
{
  results_shown++;
}

/* What the history says to the user, in the test's log. */
static void
on_history_toast (WsHistoryView *view,
                  const char    *text)
{
  g_test_message ("history view: %s", text);
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;

  app = ws_application_new (G_APPLICATION_NON_UNIQUE);
  g_assert_nonnull (ws_application_get_settings (app));
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set_uint (ws_application_get_settings (app), "server-port", 0);
  g_settings_set_int (ws_application_get_settings (app), "window-width", 1100);
  g_settings_set_int (ws_application_get_settings (app), "window-height", 720);
  window = ws_window_new (app);
  g_signal_connect (history_view (), "toast", G_CALLBACK (on_history_toast), NULL);
  g_signal_connect (window, "notify::result", G_CALLBACK (on_result_shown), NULL);
  gtk_window_present (GTK_WINDOW (window));
  spin_for (200);
}

static void
add_tests (void)
{
  /* In order: later tests read the history the earlier ones wrote. */
  g_test_add_func ("/gui/server-switch", test_server_switch);
  g_test_add_func ("/gui/port-in-use", test_port_in_use);
  g_test_add_func ("/gui/tcp-stream", test_tcp_stream);
  g_test_add_func ("/gui/units", test_units);
  g_test_add_func ("/gui/tcp-rr", test_tcp_rr);
  g_test_add_func ("/gui/speed", test_speed);
  g_test_add_func ("/gui/screenshot", test_screenshot);
  g_test_add_func ("/gui/screenshot-dark", test_screenshot_dark);
  g_test_add_func ("/gui/copy-summary", test_copy_summary);
  g_test_add_func ("/gui/stop", test_stop);
  g_test_add_func ("/gui/history-reopen", test_history_reopen);
  g_test_add_func ("/gui/screenshot-history", test_screenshot_history);
  g_test_add_func ("/gui/export-graph", test_export_graph);
  g_test_add_func ("/gui/save-result", test_save_result);
  g_test_add_func ("/gui/other-windows", test_other_windows);
  g_test_add_func ("/gui/errors", test_errors);
  g_test_add_func ("/gui/busy", test_busy);
  g_test_add_func ("/gui/version-mismatch", test_version_mismatch);
  g_test_add_func ("/gui/tls", test_tls);
  g_test_add_func ("/gui/iperf3", test_iperf3);
  g_test_add_func ("/gui/nat", test_nat);
  g_test_add_func ("/gui/http", test_http);
  g_test_add_func ("/gui/history-fill", test_history_fill);
  g_test_add_func ("/gui/long-result", test_long_result);
}

int
main (int    argc,
      char **argv)
{
  gboolean no_tls = g_getenv ("WS_TEST_NO_TLS") != NULL;
  int status;

  data_home = g_dir_make_tmp ("wirespeed-gui-XXXXXX", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* Before anything loads GIO's modules: from here on, there are none. */
  if (no_tls)
    {
      g_autofree char *empty = g_build_filename (data_home, "no-gio-modules", NULL);

      g_mkdir (empty, 0700);
      g_setenv ("GIO_MODULE_DIR", empty, TRUE);
    }
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      /* meson reads a skipped suite from the plan; exit code 77 would be an error under TAP. */
      printf ("1..0 # SKIP no display: run under xvfb-run\n");
      remove_tree (data_home);
      return 0;
    }
  adw_init ();
  setup ();

  if (no_tls)
    g_test_add_func ("/gui/no-tls", test_no_tls);
  else
    add_tests ();
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  remove_tree (data_home);
  g_free (data_home);
  return status;
}
