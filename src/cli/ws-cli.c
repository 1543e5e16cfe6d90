/* ws-cli.c — the headless faces: --client and --server
 *
 * Never touches GTK: `wirespeed --server` runs on machines with no display.
 * The first SIGINT/SIGTERM stops a test gracefully (the result of what was
 * measured is printed); a second one ends the client at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>

#include "ws-channel.h"
#include "ws-cli-agent.h"
#include "ws-cli-relay.h"
#include "ws-cli.h"
#include "ws-cli-analyze.h"
#include "ws-cli-options.h"
#include "ws-client.h"
#include "ws-error.h"
#include "ws-server.h"
#include "ws-stream.h"
#include "ws-text-printer.h"

typedef struct {
  const WsCliOptions *options;
  GMainLoop *loop;
  GCancellable *cancellable;
  WsResult *result;
  GError *error;
  guint samples_printed;
  gboolean signalled;
  char *last_notice;
} ClientRun;

static void
print_sample (ClientRun      *run,
              const WsSample *sample)
{
  if (run->samples_printed == 0)
    ws_text_print_columns (stdout, &run->options->test);
  ws_text_print_sample (stdout, &run->options->test, sample);
  run->samples_printed = sample->index + 1;
}

static void
on_sample (WsClient       *client,
           const WsSample *sample,
           ClientRun      *run)
{
  if (run->options->json || sample->index < run->samples_printed)
    return;
  print_sample (run, sample);
}

/* The server granted less than was asked: say so once (a speed test's
 * phases would each repeat it), on stdout unless that carries JSON. */
static void
on_notice (WsClient   *client,
           const char *text,
           ClientRun  *run)
{
  if (g_strcmp0 (text, run->last_notice) == 0)
    return;
  g_free (run->last_notice);
  run->last_notice = g_strdup (text);
  if (run->options->json)
    fprintf (stderr, "wirespeed: %s\n", text);
  else
    printf ("%s\n", text);
  fflush (run->options->json ? stderr : stdout);
}

/* The header waits for the server's answer: what a speed test does
 * depends on whether it is a Wirespeed or an iperf3 server. */
static void
on_peer (WsClient   *client,
         const char *kind,
         ClientRun  *run)
{
  if (!run->options->json)
    ws_text_print_header (stdout, &run->options->test, kind);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ClientRun *run = user_data;

  run->result = ws_client_run_finish (WS_CLIENT (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static gboolean
on_client_signal (gpointer user_data)
{
  ClientRun *run = user_data;

  if (run->signalled)
    {
      /* Second Ctrl-C: the user does not want to wait for the drain. */
      fprintf (stderr, "\n%s\n", _("Exiting Client"));
      exit (0);
    }
  run->signalled = TRUE;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
print_result (ClientRun *run)
{
  WsResult *r = run->result;

  if (run->options->json)
    {
      g_autofree char *json = ws_result_to_json_string (r);
      printf ("%s\n", json);
      return;
    }
  /* Samples still queued for the main loop when the test ended. */
  for (guint i = run->samples_printed; i < r->samples->len; i++)
    print_sample (run, &g_array_index (r->samples, WsSample, i));
  ws_text_print_summary (stdout, r);
}

/* The engine says what failed; the flag that fixes it is ours to name. */
static const char *
client_error_remedy (const GError *error)
{
  if (g_error_matches (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TLS_REQUIRED))
    return _("connect with --tls");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_KEY_MISSING))
    return _("give a key with --auth-key NAME:SECRET");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_TLS_UNKNOWN_CA))
    return _("for a self-signed server, pin it with --tls-fingerprint or give its CA with --tls-ca");
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    return _("is the server started with --tls-cert?");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_IPERF3_NO_SECURITY))
    return _("use --iperf3 without --tls or --auth-key");
  if (g_error_matches (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_BYTES_UNSUPPORTED))
    return _("update it, or run a timed test (--time) instead of --bytes");
  return NULL;
}

static void
print_client_error (const GError *error)
{
  const char *remedy = client_error_remedy (error);
  /* Translators: what failed, then what to do about it. */
  g_autofree char *text = remedy ? g_strdup_printf (_("%s: %s"), error->message, remedy) : NULL;

  fprintf (stderr, "wirespeed: %s\n", text ? text : error->message);
}

static int
run_client (const WsCliOptions *options)
{
  g_autoptr(WsClient) client = ws_client_new ();
  ClientRun run = { options };
  guint sigint_id, sigterm_id;
  int status = 0;

  run.loop = g_main_loop_new (NULL, FALSE);
  run.cancellable = g_cancellable_new ();
  sigint_id = g_unix_signal_add (SIGINT, on_client_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_client_signal, &run);
  g_signal_connect (client, "sample", G_CALLBACK (on_sample), &run);
  g_signal_connect (client, "notice", G_CALLBACK (on_notice), &run);
  g_signal_connect (client, "peer", G_CALLBACK (on_peer), &run);
  ws_client_run_async (client, &options->test, run.cancellable, on_run_done, &run);
  g_main_loop_run (run.loop);

  if (run.result != NULL)
    {
      print_result (&run);
      /* A fixed size that did not arrive in time is a failed test; one the
       * user stopped is what they asked for. */
      if (run.result->bytes != 0 && !run.result->bytes_complete && !run.result->interrupted)
        status = 1;
    }
  else if (!g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      print_client_error (run.error);
      status = 1;
    }
  if (run.signalled)
    fprintf (options->json ? stderr : stdout, "%s\n", _("Exiting Client"));

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_pointer (&run.result, ws_result_unref);
  g_clear_error (&run.error);
  g_free (run.last_notice);
  g_object_unref (run.cancellable);
  g_main_loop_unref (run.loop);
  return status;
}

/* "2024-05-01 12:00:00 message", on standard error: the log of --server
 * --verbose and of --agent. */
void
ws_cli_log_line (const char     *domain,
             GLogLevelFlags  level,
             const char     *message,
             gpointer        user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%F %T");

  fprintf (stderr, "%s %s\n", stamp, message);
}

static gboolean
on_server_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* What a client needs to know to connect: the fingerprint to pin. */
static void
print_security (const WsCliOptions *options)
{
  if (options->tls_certificate != NULL)
    {
      g_autofree char *fingerprint = ws_tls_certificate_fingerprint (options->tls_certificate);

      printf (_("TLS certificate SHA-256 fingerprint: %s\n"), fingerprint);
      printf ("%s\n", options->allow_plaintext ? _("Plaintext clients are served too (--allow-plaintext)")
                                                : _("Clients must use TLS"));
    }
  if (options->auth != NULL)
    printf (ngettext ("Clients must authenticate (%u key)\n", "Clients must authenticate (%u keys)\n",
                      ws_auth_get_n_keys (options->auth)),
            ws_auth_get_n_keys (options->auth));
}

/* The server's flags, shared by --server and --relay. */
void
ws_cli_server_configure (WsServer           *server,
                         const WsCliOptions *options)
{
  ws_server_set_port (server, options->port);
  ws_server_set_bind_address (server, options->bind_address);
  ws_server_set_max_clients (server, options->max_clients);
  ws_server_set_idle_timeout (server, options->idle_timeout_s);
  ws_server_set_tls (server, options->tls_certificate, options->allow_plaintext);
  ws_server_set_auth (server, options->auth);
  ws_server_set_acl (server, options->acl);
  ws_server_set_max_per_address (server, options->max_per_address);
  ws_server_set_max_pending_per_address (server, options->max_pending_per_address);
  ws_server_set_max_duration (server, options->max_duration_s);
  ws_server_set_max_bitrate (server, options->max_bitrate);
  ws_stream_disable_offloads (options->test.no_zerocopy, options->test.no_gso);
}

static int
run_server (const WsCliOptions *options)
{
  g_autoptr(WsServer) server = ws_server_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsCollector) collector = NULL;
  g_autofree char *where = NULL;

  if (options->verbose)
    g_log_set_handler (G_LOG_DOMAIN, G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE, ws_cli_log_line, NULL);
  if (options->collect.location != NULL)
    {
      collector = ws_cli_collect_start (&options->collect, &error);
      if (collector == NULL)
        {
          fprintf (stderr, "wirespeed: --collect: %s\n", error->message);
          return 1;
        }
      ws_server_set_report_sink (server, WS_REPORT_SINK (collector));
      ws_server_set_max_report_connections (server, options->collect.max_connections);
    }

  ws_cli_server_configure (server, options);
  if (!ws_server_start (server, &error))
    {
      if (collector != NULL)
        ws_collector_stop (collector);
      fprintf (stderr, _("wirespeed: cannot listen on port %u: %s\n"), options->port, error->message);
      return 1;
    }

  /* Handlers first: whoever reads the line below may signal at once. */
  g_unix_signal_add (SIGINT, on_server_signal, loop);
  g_unix_signal_add (SIGTERM, on_server_signal, loop);

  where = ws_server_describe_address (server);
  printf (_("Wirespeed %s server listening on %s\n"), PACKAGE_VERSION, where);
  print_security (options);
  if (collector != NULL)
    printf ("%s\n", _("Collecting agents' reports"));
  fflush (stdout);
  g_main_loop_run (loop);

  /* The server first: its report connections wait for the collector. */
  ws_server_stop (server);
  if (collector != NULL)
    {
      ws_collector_stop (collector);
      ws_cli_collect_print_stats (collector);
    }
  printf ("%s\n", _("Exiting Server"));
  return 0;
}

int
ws_cli_main (int    argc,
             char **argv)
{
  g_autoptr(GError) error = NULL;
  WsCliOptions options;
  int status;

  /* Its own options: none of a test's flags means the same there. */
  if (ws_cli_analyze_wanted (argc, argv))
    return ws_cli_analyze_main (argc, argv);
  if (!ws_cli_options_parse (&options, argc, argv, &error))
    {
      /* A machine without TLS is not a mistake on the command line. */
      gboolean usage = error->domain == G_OPTION_ERROR;

      fprintf (stderr, "wirespeed: %s\n", error->message);
      if (usage)
        fprintf (stderr, "%s\n", _("Try “wirespeed --help” for more information."));
      ws_cli_options_clear (&options);
      return usage ? WS_CLI_EXIT_USAGE : WS_CLI_EXIT_FAILURE;
    }

  switch (options.mode)
    {
    case WS_CLI_MODE_VERSION:
      printf ("wirespeed %s\n", PACKAGE_VERSION);
      status = 0;
      break;
    case WS_CLI_MODE_SERVER:
      status = run_server (&options);
      break;
    case WS_CLI_MODE_CLIENT:
      status = run_client (&options);
      break;
    case WS_CLI_MODE_AGENT:
      status = ws_cli_agent_run (&options);
      break;
    case WS_CLI_MODE_RELAY:
      status = ws_cli_relay_run (&options);
      break;
    default:
      g_assert_not_reached ();
    }
  ws_cli_options_clear (&options);
  return status;
}
