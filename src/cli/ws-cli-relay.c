/* ws-cli-relay.c — the --relay face: agents' reports forwarded upstream
 *
 * A relay is a collector (the server's report connections, the same
 * checks and ACKs) whose store is a spool, and an agent's sender that
 * drains that spool to the upstream collector with COLLECT flag RELAY
 * (docs/MONITORING.md, "Relay"). The server's flags (--port, --tls-*,
 * --auth-file, --allow, --deny) are the agents' side; --collect-to,
 * --tls-ca or --tls-fingerprint, --auth-key-file and --spool the
 * upstream's, as for an agent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>

#include "ws-cli.h"
#include "ws-cli-options.h"
#include "ws-cli-relay.h"
#include "ws-collector.h"
#include "ws-relay-store.h"
#include "ws-report-sender.h"

void
ws_cli_relay_raw_clear (WsCliRelayRaw *raw)
{
  g_strfreev (raw->block);
}

void
ws_cli_relay_add_entries (GOptionContext *context,
                          WsCliRelayRaw  *raw)
{
  const GOptionEntry entries[] = {
    { "relay", 0, 0, G_OPTION_ARG_NONE, &raw->relay,
      N_("Take agents' reports and forward them to --collect-to (a collector or another relay), "
         "keeping them in --spool meanwhile; needs --tls-cert, --tls-key, --auth-file and its own "
         "--auth-key-file, which the upstream trusts with --trust-relay; exclusive with --client, "
         "--server and --agent"), NULL },
    { "block", 0, 0, G_OPTION_ARG_STRING_ARRAY, &raw->block,
      N_("Relay: refuse this agent's reports, and tell it so; repeatable"), N_("NAME") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

static gboolean
usage (GError     **error,
       const char  *text)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, text);
  return FALSE;
}

/* Beside an agent's default spool, not in it: both may run on one host. */
static char *
default_spool_path (void)
{
  g_autofree char *agent = ws_spool_default_path ();
  g_autofree char *dir = g_path_get_dirname (agent);

  return g_build_filename (dir, "relay-spool.db", NULL);
}

/* The upstream, as an agent's delivery: --collect-to, TLS, key, spool. */
gboolean
ws_cli_relay_fill (WsCliOptions        *options,
                   const WsCliRelayRaw *raw,
                   const WsCliAgentRaw *agent_raw,
                   GError             **error)
{
  if (!raw->relay)
    return raw->block == NULL || usage (error, _("--block is only valid with --relay"));
  if (agent_raw->collect_to == NULL)
    return usage (error, _("--relay needs an upstream: --collect-to HOST[:PORT]"));
  if (options->test.auth_name == NULL)
    return usage (error, _("--relay needs its own key for the upstream: --auth-key-file FILE"));
  options->agent = ws_agent_config_new ();
  if (!ws_cli_agent_fill_delivery (options->agent, options, agent_raw, error))
    return FALSE;
  if (options->agent->spool_path == NULL)
    options->agent->spool_path = default_spool_path ();
  options->blocked = g_strdupv (raw->block);
  return TRUE;
}

/* ---- Running ---- */

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static WsCollector *
start_collector (const WsCliOptions *options,
                 WsSpool            *spool,
                 WsReportSender     *sender,
                 GError            **error)
{
  g_autoptr(WsStore) store = ws_relay_store_new (spool, sender);
  g_autoptr(WsCollector) collector = ws_collector_new (store);

  ws_cli_collect_configure (collector, &options->collect);
  for (guint i = 0; options->blocked != NULL && options->blocked[i] != NULL; i++)
    ws_collector_add_blocked (collector, options->blocked[i]);
  if (!ws_collector_start (collector, error))
    return NULL;
  return g_steal_pointer (&collector);
}

static void
print_start (const WsCliOptions *options,
             WsServer           *server,
             WsSpool            *spool)
{
  g_autofree char *where = ws_server_describe_address (server);
  g_autofree char *upstream = NULL;

  g_ptr_array_add (options->agent->collectors, NULL);
  upstream = g_strjoinv (", ", (char **) options->agent->collectors->pdata);
  g_ptr_array_set_size (options->agent->collectors, options->agent->collectors->len - 1);
  printf (_("Wirespeed %s relay listening on %s\n"), PACKAGE_VERSION, where);
  /* Translators: collectors, then a file name. */
  printf (_("Relaying agents' reports to %s; spool %s\n"), upstream, ws_spool_get_path (spool));
  fflush (stdout);
}

static int
serve (const WsCliOptions *options,
       WsSpool            *spool,
       WsReportSender     *sender)
{
  g_autoptr(WsServer) server = ws_server_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsCollector) collector = start_collector (options, spool, sender, &error);

  if (collector == NULL)
    {
      fprintf (stderr, "wirespeed: --relay: %s\n", error->message);
      return WS_CLI_EXIT_FAILURE;
    }
  ws_server_set_report_sink (server, WS_REPORT_SINK (collector));
  ws_server_set_max_report_connections (server, options->collect.max_connections);
  ws_cli_server_configure (server, options);
  if (!ws_server_start (server, &error))
    {
      ws_collector_stop (collector);
      fprintf (stderr, _("wirespeed: cannot listen on port %u: %s\n"), options->port, error->message);
      return WS_CLI_EXIT_FAILURE;
    }
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  print_start (options, server, spool);
  ws_report_sender_start (sender);
  g_main_loop_run (loop);

  /* Nothing new is taken, then what was taken is committed, then the
   * sender ends: what it had not delivered waits in the spool. */
  ws_server_stop (server);
  ws_collector_stop (collector);
  ws_report_sender_stop (sender);
  ws_cli_collect_print_stats (collector);
  printf ("%s\n", _("Exiting Relay"));
  return 0;
}

int
ws_cli_relay_run (WsCliOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsSpool) spool = NULL;
  g_autoptr(WsReportSender) sender = NULL;
  GLogLevelFlags levels = G_LOG_LEVEL_MESSAGE | (options->verbose ? G_LOG_LEVEL_INFO : 0);

  g_log_set_handler (G_LOG_DOMAIN, levels, ws_cli_log_line, NULL);
  spool = ws_spool_open (options->agent->spool_path, options->agent->spool_max, &error);
  if (spool == NULL)
    {
      fprintf (stderr, "wirespeed: %s\n", error->message);
      return WS_CLI_EXIT_FAILURE;
    }
  sender = ws_report_sender_new (spool, options->agent);
  ws_report_sender_set_relay (sender, TRUE);
  /* A relay runs no schedule: the upstream's configuration is not its. */
  ws_report_sender_set_refresh (sender, 0);
  return serve (options, spool, sender);
}
