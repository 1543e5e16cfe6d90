/* ws-cli-collect.c — the collector's options: `--server --collect DB`
 *
 * Parsed with the rest of the command line (ws-cli-options.c adds these
 * entries to its context) and checked here, each refusal one line that
 * names the flag.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ws-cli-collect.h"
#include "ws-collector.h"
#include "ws-protocol.h"
#include "ws-server.h"
#include "ws-units.h"

#define UNSET G_MININT
#define MAX_RATE 1000000.0
#define MAX_REPORT_CONNECTIONS 16384

void
ws_cli_collect_raw_init (WsCliCollectRaw *raw)
{
  memset (raw, 0, sizeof *raw);
  raw->collect_rate = NAN;
  raw->max_report_connections = UNSET;
}

void
ws_cli_collect_raw_clear (WsCliCollectRaw *raw)
{
  g_free (raw->collect);
  g_free (raw->max_report_size);
  g_free (raw->agent_config);
  g_strfreev (raw->trust_relay);
  g_free (raw->retain);
}

void
ws_cli_collect_add_entries (GOptionContext  *context,
                            WsCliCollectRaw *raw)
{
  const GOptionEntry entries[] = {
    { "collect", 0, 0, G_OPTION_ARG_STRING, &raw->collect,
      N_("Server: also take agents' reports and keep them in DB, a file (SQLite) or a "
         "postgresql:// URI; needs --tls-cert, --tls-key and --auth-file (an agent is a key); "
         "with --verbose, logs each agent's connections and every report"),
      N_("DB") },
    { "collect-rate", 0, 0, G_OPTION_ARG_DOUBLE, &raw->collect_rate,
      N_("Collector: reports per second one agent may send, on average, with 15 seconds' worth "
         "at once; more are answered “retry later” (default: 20; 0: no limit)"), N_("N") },
    { "max-report-size", 0, 0, G_OPTION_ARG_STRING, &raw->max_report_size,
      N_("Collector: the largest report taken, 4K–64M; a larger one closes the connection "
         "(default: 1M)"), N_("SIZE") },
    { "max-report-connections", 0, 0, G_OPTION_ARG_INT, &raw->max_report_connections,
      N_("Collector: agents' connections served at once, beside the room for tests (default: 1024)"),
      N_("N") },
    { "agent-config", 0, 0, G_OPTION_ARG_FILENAME, &raw->agent_config,
      N_("Collector: agents' schedules, DIR/NAME.conf per key name, sent to each agent when "
         "it connects and the file changed"), N_("DIR") },
    { "trust-relay", 0, 0, G_OPTION_ARG_STRING_ARRAY, &raw->trust_relay,
      N_("Collector: this key may forward other agents' reports (a relay); repeatable"),
      N_("NAME") },
    { "retain", 0, 0, G_OPTION_ARG_STRING, &raw->retain,
      N_("Collector: delete reports of tests older than this, at start and hourly, "
         "e.g. 180d, 12h (default: keep all)"), N_("DURATION") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/* "180d", "12h", "1d12h", "90s" or "90" (seconds) → seconds, never 0: the
 * agents' grammar (ws_parse_duration_upto()), up to 68 years. */
gboolean
ws_cli_parse_duration (const char *text,
                       gint64     *seconds)
{
  return ws_parse_duration_upto (text, G_MAXINT32, seconds) && *seconds > 0;
}

/* A bad value on the command line: @message (taken) names the flag. */
static gboolean
usage (GError **error,
       char    *message)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  g_free (message);
  return FALSE;
}

/* The name of a collector option that was given without --collect. */
static const char *
stray_option (const WsCliCollectRaw *raw)
{
  if (!isnan (raw->collect_rate))
    return "--collect-rate";
  if (raw->max_report_size != NULL)
    return "--max-report-size";
  if (raw->max_report_connections != UNSET)
    return "--max-report-connections";
  if (raw->agent_config != NULL)
    return "--agent-config";
  if (raw->trust_relay != NULL)
    return "--trust-relay";
  if (raw->retain != NULL)
    return "--retain";
  return NULL;
}

static gboolean
fill_limits (WsCliCollect          *c,
             const WsCliCollectRaw *raw,
             GError               **error)
{
  guint64 size;

  if (!isnan (raw->collect_rate) && !(raw->collect_rate >= 0 && raw->collect_rate <= MAX_RATE))
    return usage (error, g_strdup_printf (_("--collect-rate must be between 0 and %g reports per second"),
                                          MAX_RATE));
  if (!isnan (raw->collect_rate))
    c->rate = raw->collect_rate;
  if (raw->max_report_size != NULL
      && (!ws_parse_size (raw->max_report_size, &size)
          || size < WS_REPORT_MIN_MAX || size > WS_REPORT_MAX_MAX))
    return usage (error, g_strdup_printf (_("--max-report-size must be a size between 4K and 64M, not “%s”"),
                                          raw->max_report_size));
  if (raw->max_report_size != NULL)
    c->max_report = size;
  if (raw->max_report_connections != UNSET
      && (raw->max_report_connections < 1 || raw->max_report_connections > MAX_REPORT_CONNECTIONS))
    return usage (error, g_strdup_printf (_("%s must be between %d and %d, not %d"),
                                          "--max-report-connections", 1, MAX_REPORT_CONNECTIONS,
                                          raw->max_report_connections));
  if (raw->max_report_connections != UNSET)
    c->max_connections = raw->max_report_connections;
  if (raw->retain != NULL && !ws_cli_parse_duration (raw->retain, &c->retain_s))
    return usage (error, g_strdup_printf (_("--retain must be a duration like 180d, 12h or 30m, not “%s”"),
                                          raw->retain));
  return TRUE;
}

/* A relay is a collector without a database: it takes the limits and
 * --trust-relay (a chain), not what only a database has. */
static gboolean
fill_relay (WsCliCollect          *c,
            const WsCliCollectRaw *raw,
            gboolean               secure,
            GError               **error)
{
  const char *flag = raw->collect ? "--collect" : raw->agent_config ? "--agent-config"
                     : raw->retain ? "--retain" : NULL;

  if (flag != NULL)
    return usage (error, g_strdup_printf (_("%s is not valid with --relay"), flag));
  if (!fill_limits (c, raw, error))
    return FALSE;
  if (!secure)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("--relay needs --tls-cert, --tls-key and --auth-file: agents report "
                             "only over TLS, each with its own key"));
      return FALSE;
    }
  c->trusted_relays = g_strdupv (raw->trust_relay);
  return TRUE;
}

/**
 * ws_cli_collect_fill:
 * @server: --server was given
 * @relay: --relay was given
 * @secure: the server has a certificate and keys
 *
 * A collector without TLS or keys would take anyone's word for who an
 * agent is: refused, and not as a typo (exit status 1, not 2).
 */
gboolean
ws_cli_collect_fill (WsCliCollect          *c,
                     const WsCliCollectRaw *raw,
                     gboolean               server,
                     gboolean               relay,
                     gboolean               secure,
                     GError               **error)
{
  const char *stray = stray_option (raw);

  memset (c, 0, sizeof *c);
  c->max_report = WS_REPORT_DEFAULT_MAX;
  c->rate = WS_COLLECTOR_DEFAULT_RATE;
  c->max_connections = WS_DEFAULT_MAX_REPORT_CONNECTIONS;
  if (relay)
    return fill_relay (c, raw, secure, error);
  if (raw->collect == NULL && stray != NULL)
    return usage (error, g_strdup_printf (_("%s only makes sense with --collect"), stray));
  if (raw->collect == NULL)
    return TRUE;
  if (!server)
    return usage (error, g_strdup (_("--collect is only valid with --server")));
  if (*raw->collect == '\0')
    return usage (error, g_strdup (_("--collect must name a database file or a postgresql:// URI")));
  if (!fill_limits (c, raw, error))
    return FALSE;
  if (!secure)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("--collect needs --tls-cert, --tls-key and --auth-file: agents report "
                             "only over TLS, each with its own key"));
      return FALSE;
    }
  c->location = g_strdup (raw->collect);
  c->agent_config_dir = g_strdup (raw->agent_config);
  c->trusted_relays = g_strdupv (raw->trust_relay);
  return TRUE;
}

void
ws_cli_collect_clear (WsCliCollect *c)
{
  g_clear_pointer (&c->location, g_free);
  g_clear_pointer (&c->agent_config_dir, g_free);
  g_clear_pointer (&c->trusted_relays, g_strfreev);
}

/* The collector's flags, shared by --collect and --relay. */
void
ws_cli_collect_configure (WsCollector        *collector,
                          const WsCliCollect *c)
{
  ws_collector_set_max_report (collector, c->max_report);
  ws_collector_set_rate (collector, c->rate);
  ws_collector_set_agent_config_dir (collector, c->agent_config_dir);
  for (guint i = 0; c->trusted_relays != NULL && c->trusted_relays[i] != NULL; i++)
    ws_collector_add_trusted_relay (collector, c->trusted_relays[i]);
  ws_collector_set_retain (collector, c->retain_s);
}

/* The store opened (before the server listens: a collector that cannot
 * keep what it acknowledges must not start) and the collector running. */
WsCollector *
ws_cli_collect_start (const WsCliCollect  *c,
                      GError             **error)
{
  g_autoptr(WsStore) store = ws_store_open (c->location, error);
  g_autoptr(WsCollector) collector = NULL;

  if (store == NULL)
    return NULL;
  collector = ws_collector_new (store);
  ws_cli_collect_configure (collector, c);
  if (!ws_collector_start (collector, error))
    return NULL;
  return g_steal_pointer (&collector);
}

/* What the collector did, as the server exits. */
void
ws_cli_collect_print_stats (WsCollector *collector)
{
  WsCollectorStats s;

  ws_collector_get_stats (collector, &s);
  printf (_("Reports: %llu stored, %llu duplicate, %llu rejected, %llu to retry, "
            "in %llu commits over %llu connections\n"),
          (unsigned long long) s.stored, (unsigned long long) s.duplicate,
          (unsigned long long) s.rejected, (unsigned long long) s.retried,
          (unsigned long long) s.commits, (unsigned long long) s.connections);
}
