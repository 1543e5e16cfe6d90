/* ws-cli-agent.c — the --agent face: its options and its main loop
 *
 * Two ways to say what an agent does: a file (--config, documented in
 * data/wirespeed-agent.conf) or, for one schedule, the command line
 * ("the quick form": --collect-to, --every, and the test's flags as
 * --client takes them). In the quick form the TLS flags and the key are
 * the collector's; the test uses the key when its server asks for one,
 * and TLS with --tls, or when its server is one of the collectors (the
 * same host and port: the same certificate, so the same TLS flags).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ws-agent.h"
#include "ws-cli.h"
#include "ws-cli-agent.h"
#include "ws-cli-options.h"

#define UNSET G_MININT
#define QUICK_SCHEDULE "command-line"

void
ws_cli_agent_raw_init (WsCliAgentRaw *raw)
{
  memset (raw, 0, sizeof *raw);
  raw->spool_max = raw->send_timeout = UNSET;
}

void
ws_cli_agent_raw_clear (WsCliAgentRaw *raw)
{
  g_free (raw->config);
  g_strfreev (raw->collect_to);
  g_free (raw->every);
  g_free (raw->slip);
  g_free (raw->at);
  g_free (raw->spool);
}

void
ws_cli_agent_add_entries (GOptionContext *context,
                          WsCliAgentRaw  *raw)
{
  const GOptionEntry entries[] = {
    { "agent", 0, 0, G_OPTION_ARG_NONE, &raw->agent,
      N_("Run tests on a schedule and report them to a collector (wirespeed --server --collect), "
         "headless; exclusive with --client and --server"), NULL },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &raw->config,
      N_("Agent: read the collectors, the key and the schedules from this file "
         "(see the example wirespeed-agent.conf)"), N_("FILE") },
    { "collect-to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &raw->collect_to,
      N_("Agent: report to this collector (TLS, default port 5201); repeat it for collectors "
         "to fail over to, in order"), N_("HOST[:PORT]") },
    { "every", 0, 0, G_OPTION_ARG_STRING, &raw->every,
      N_("Agent, without --config: run the test this often, e.g. 5m, 1h, 1h30m"), N_("DURATION") },
    { "slip", 0, 0, G_OPTION_ARG_STRING, &raw->slip,
      N_("Agent, without --config: start each run up to this much later, at random, so agents "
         "do not all test at once (default: 0)"), N_("DURATION") },
    { "at", 0, 0, G_OPTION_ARG_STRING, &raw->at,
      N_("Agent, without --config: run the test at these local times instead, e.g. *:00,*:30 "
         "(HOUR:MINUTE, HOUR may be *)"), N_("TIMES") },
    { "once", 0, 0, G_OPTION_ARG_NONE, &raw->once,
      N_("Agent: run each schedule once, deliver the reports and exit (1 if some stay in the spool)"),
      NULL },
    { "send-timeout", 0, 0, G_OPTION_ARG_INT, &raw->send_timeout,
      N_("Agent with --once: how long to keep trying to deliver (default: 60)"), N_("SECONDS") },
    { "spool", 0, 0, G_OPTION_ARG_FILENAME, &raw->spool,
      N_("Agent: keep reports here until a collector has them (default: spool.db in the "
         "service's or the user's state folder)"), N_("FILE") },
    { "spool-max", 0, 0, G_OPTION_ARG_INT, &raw->spool_max,
      N_("Agent: at most this many reports in the spool; past it the oldest are dropped, "
         "and counted (default: 100000)"), N_("N") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/* A flag's mistake: exit status 2 and "Try --help". */
static gboolean usage (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage (GError     **error,
       const char  *format,
       ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, text);
  return FALSE;
}

static gboolean
parse_duration_flag (const char  *flag,
                     const char  *text,
                     gint64       min,
                     gint64      *seconds,
                     GError     **error)
{
  if (!ws_parse_duration (text, seconds) || *seconds < min)
    return usage (error, _("%s must be a duration like 90s, 5m or 1h30m (at most a week), not “%s”"),
                  flag, text);
  return TRUE;
}

/* When the quick form's one schedule runs. */
static gboolean
fill_when (WsSchedule          *s,
           const WsCliAgentRaw *raw,
           GError             **error)
{
  g_autoptr(GError) local_error = NULL;

  if (raw->every != NULL && raw->at != NULL)
    return usage (error, _("--every and --at are mutually exclusive"));
  if (raw->every == NULL && raw->at == NULL && !raw->once)
    return usage (error, _("--agent needs --every or --at (or --once), or a --config file"));
  s->kind = raw->at != NULL ? WS_SCHEDULE_AT : WS_SCHEDULE_EVERY;
  s->every_s = WS_SCHEDULE_MAX_S;
  if (raw->every != NULL && !parse_duration_flag ("--every", raw->every, 1, &s->every_s, error))
    return FALSE;
  if (raw->slip != NULL && !parse_duration_flag ("--slip", raw->slip, 0, &s->slip_s, error))
    return FALSE;
  if (raw->at != NULL && !ws_at_spec_parse (raw->at, &s->at, &local_error))
    return usage (error, "--at %s", local_error->message);
  if (s->kind == WS_SCHEDULE_EVERY && s->slip_s >= s->every_s)
    return usage (error, _("--slip must be shorter than --every"));
  return TRUE;
}

/* Whether the test's server is one of @config's collectors. */
static gboolean
tests_a_collector (const WsAgentConfig *config,
                   const WsTestConfig  *t)
{
  for (guint i = 0; i < config->collectors->len; i++)
    {
      g_autofree char *host = NULL;
      guint16 port = 0;

      if (ws_collector_address_parse (g_ptr_array_index (config->collectors, i), &host, &port)
          && g_ascii_strcasecmp (host, t->target) == 0 && port == t->port)
        return TRUE;
    }
  return FALSE;
}

static gboolean
quick_form (WsCliOptions        *options,
            const WsCliAgentRaw *raw,
            gboolean             test_tls,
            gboolean             target_given,
            GError             **error)
{
  g_autoptr(WsSchedule) s = ws_schedule_new (QUICK_SCHEDULE);
  WsTestConfig *t = &s->test;

  if (!target_given)
    return usage (error, _("--agent needs --target HOST (the server to test), or a --config file"));
  if (!fill_when (s, raw, error))
    return FALSE;
  ws_test_config_clear (t);
  ws_test_config_copy (t, &options->test);
  t->tls = test_tls || g_str_has_prefix (t->target, "https://") || tests_a_collector (options->agent, t);
  if (!t->tls)
    {
      g_clear_pointer (&t->tls_ca_file, g_free);
      g_clear_pointer (&t->tls_fingerprint, g_free);
    }
  g_ptr_array_add (options->agent->schedules, g_steal_pointer (&s));
  return TRUE;
}

static void
replace (char       **field,
         const char  *value)
{
  if (value == NULL)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

/* The command line's collectors, TLS, key and spool, over the file's;
 * also a relay's, for its upstream. */
gboolean
ws_cli_agent_fill_delivery (WsAgentConfig       *config,
                            const WsCliOptions  *options,
                            const WsCliAgentRaw *raw,
                            GError             **error)
{
  for (guint i = 0; raw->collect_to != NULL && raw->collect_to[i] != NULL; i++)
    {
      if (!ws_collector_address_parse (raw->collect_to[i], NULL, NULL))
        return usage (error, _("--collect-to must be HOST or HOST:PORT, not “%s”"), raw->collect_to[i]);
      if (i == 0)
        g_ptr_array_set_size (config->collectors, 0);
      g_ptr_array_add (config->collectors, g_strdup (raw->collect_to[i]));
    }
  replace (&config->tls_ca_file, options->test.tls_ca_file);
  replace (&config->tls_fingerprint, options->test.tls_fingerprint);
  if (options->test.auth_name != NULL)
    {
      replace (&config->auth_name, options->test.auth_name);
      replace (&config->auth_secret, options->test.auth_secret);
    }
  replace (&config->spool_path, raw->spool);
  if (raw->spool_max != UNSET && (raw->spool_max < 1 || raw->spool_max > WS_SPOOL_MAX_MAX))
    return usage (error, _("--spool-max must be between %d and %d, not %d"), 1, WS_SPOOL_MAX_MAX,
                  raw->spool_max);
  if (raw->spool_max != UNSET)
    config->spool_max = raw->spool_max;
  return TRUE;
}

static gboolean
check_command_line (const WsAgentConfig  *config,
                    GError              **error)
{
  if (config->collectors->len == 0)
    return usage (error, _("--agent needs a collector: --collect-to HOST[:PORT]"));
  if (config->auth_name == NULL)
    return usage (error, _("--agent needs a key, as collectors take reports only from agents they "
                           "know: --auth-key-file FILE"));
  return TRUE;
}

/**
 * ws_cli_agent_fill:
 * @test_tls: --tls was given: the quick form's test uses TLS too
 *
 * A bad --config file is a G_KEY_FILE_ERROR (exit 1), a bad flag a
 * G_OPTION_ERROR (exit 2).
 */
gboolean
ws_cli_agent_fill (WsCliOptions        *options,
                   const WsCliAgentRaw *raw,
                   gboolean             test_tls,
                   gboolean             target_given,
                   GError             **error)
{
  if (raw->send_timeout != UNSET && (raw->send_timeout < 1 || raw->send_timeout > 86400))
    return usage (error, _("--send-timeout must be between %d and %d, not %d"), 1, 86400,
                  raw->send_timeout);
  options->once = raw->once;
  options->send_timeout_s = raw->send_timeout != UNSET ? (guint) raw->send_timeout
                                                       : WS_AGENT_DEFAULT_SEND_TIMEOUT_S;
  if (raw->config != NULL)
    {
      if (target_given || raw->every != NULL || raw->at != NULL || raw->slip != NULL)
        return usage (error, _("--target, --every, --slip and --at are the quick form: "
                               "put the schedule in the --config file instead"));
      options->agent = ws_agent_config_load (raw->config, error);
      if (options->agent == NULL)
        return FALSE;
      return ws_cli_agent_fill_delivery (options->agent, options, raw, error)
             && ws_agent_config_check (options->agent, raw->config, error);
    }
  options->agent = ws_agent_config_new ();
  return ws_cli_agent_fill_delivery (options->agent, options, raw, error)
         && quick_form (options, raw, test_tls, target_given, error)
         && check_command_line (options->agent, error);
}

/* ---- Running ---- */

typedef struct {
  GMainLoop *loop;
  WsAgent *agent;
  int status;
} AgentRun;

static gboolean
on_signal (gpointer user_data)
{
  AgentRun *run = user_data;

  ws_agent_stop (run->agent);
  return G_SOURCE_CONTINUE;
}

static void
on_done (WsAgent *agent,
         int      status,
         AgentRun *run)
{
  run->status = status;
  g_main_loop_quit (run->loop);
}

static void
print_start (const WsAgentConfig *config,
             WsSpool             *spool)
{
  g_autofree char *collectors = NULL;

  g_ptr_array_add (config->collectors, NULL);
  collectors = g_strjoinv (", ", (char **) config->collectors->pdata);
  g_ptr_array_set_size (config->collectors, config->collectors->len - 1);
  g_message (g_dngettext (GETTEXT_PACKAGE,
                          "Wirespeed %s agent “%s”: %u schedule, reporting to %s; spool %s",
                          "Wirespeed %s agent “%s”: %u schedules, reporting to %s; spool %s",
                          config->schedules->len),
             PACKAGE_VERSION, config->auth_name, config->schedules->len, collectors,
             ws_spool_get_path (spool));
}

int
ws_cli_agent_run (WsCliOptions *options)
{
  g_autofree char *path = options->agent->spool_path ? g_strdup (options->agent->spool_path)
                                                     : ws_spool_default_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WsSpool) spool = NULL;
  AgentRun run = { 0 };
  guint sigint_id, sigterm_id;

  g_log_set_handler (G_LOG_DOMAIN, G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE, ws_cli_log_line, NULL);
  spool = ws_spool_open (path, options->agent->spool_max, &error);
  if (spool == NULL)
    {
      fprintf (stderr, "wirespeed: %s\n", error->message);
      return WS_CLI_EXIT_FAILURE;
    }
  print_start (options->agent, spool);
  run.loop = g_main_loop_new (NULL, FALSE);
  run.agent = ws_agent_new (g_steal_pointer (&options->agent), spool);
  if (options->once)
    ws_agent_set_once (run.agent, options->send_timeout_s);
  g_signal_connect (run.agent, "done", G_CALLBACK (on_done), &run);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &run);
  ws_agent_start (run.agent);
  g_main_loop_run (run.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_object_unref (run.agent);
  g_main_loop_unref (run.loop);
  return run.status;
}
