/* ws-test-util.h — shared by the in-process integration suites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-client.h"
#include "ws-server.h"

typedef struct {
  GMainLoop *loop;
  WsResult *result;
  GError *error;
  guint samples;
  GCancellable *cancellable;
  guint cancel_after_samples;
  char *notice;         /* the last "notice" the client gave */
} WsTestRun;

static inline WsServer *
ws_test_server_new (guint max_clients,
                    guint idle_timeout_s)
{
  WsServer *server = ws_server_new ();
  g_autoptr(GError) error = NULL;

  ws_server_set_port (server, 0);
  ws_server_set_max_clients (server, max_clients);
  ws_server_set_idle_timeout (server, idle_timeout_s);
  g_assert_true (ws_server_start (server, &error));
  g_assert_no_error (error);
  return server;
}

static inline void
ws_test_config_for (WsTestConfig *config,
                    WsServer     *server,
                    const char   *target,
                    guint         seconds)
{
  ws_test_config_init (config);
  g_free (config->target);
  config->target = g_strdup (target);
  config->port = ws_server_get_port (server);
  config->duration_s = seconds;
  config->interval_ms = 500;
  /* Tests that want the idle and loaded latency probes ask for them. */
  config->latency_probe = FALSE;
}

static void
ws_test_on_sample (WsClient       *client,
                   const WsSample *sample,
                   WsTestRun      *run)
{
  g_assert_cmpuint (sample->index, ==, run->samples);
  run->samples++;
  if (run->cancel_after_samples && run->samples == run->cancel_after_samples)
    g_cancellable_cancel (run->cancellable);
}

static void
ws_test_on_notice (WsClient   *client,
                   const char *text,
                   WsTestRun  *run)
{
  g_free (run->notice);
  run->notice = g_strdup (text);
}

static void
ws_test_on_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  WsTestRun *run = data;

  run->result = ws_client_run_finish (WS_CLIENT (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
ws_test_watchdog (gpointer data)
{
  g_error ("test run did not finish in time");
  return G_SOURCE_REMOVE;
}

/* Runs one test to the end on the thread-default main context. */
static inline void
ws_test_run (WsTestRun          *run,
             const WsTestConfig *config)
{
  g_autoptr(WsClient) client = ws_client_new ();
  guint watchdog = g_timeout_add_seconds (config->duration_s + 30, ws_test_watchdog, NULL);

  run->loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  if (run->cancellable == NULL)
    run->cancellable = g_cancellable_new ();
  g_signal_connect (client, "sample", G_CALLBACK (ws_test_on_sample), run);
  g_signal_connect (client, "notice", G_CALLBACK (ws_test_on_notice), run);
  ws_client_run_async (client, config, run->cancellable, ws_test_on_done, run);
  g_main_loop_run (run->loop);
  g_source_remove (watchdog);
  /* Samples still queued when the result arrived. */
  while (g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
    ;
  g_main_loop_unref (run->loop);
}

static inline void
ws_test_run_clear (WsTestRun *run)
{
  g_clear_pointer (&run->result, ws_result_unref);
  g_clear_error (&run->error);
  g_clear_object (&run->cancellable);
  g_clear_pointer (&run->notice, g_free);
}

/* Polls until @server has no session left, or fails after @seconds. */
static inline void
ws_test_wait_idle (WsServer *server,
                   guint     seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (ws_server_get_n_sessions (server) > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (10000);
    }
}
