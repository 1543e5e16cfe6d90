/* ws-cli-analyze.c — `wirespeed --analyze`: a store's reports over a
 * period, as a table, JSON or CSV
 *
 * Its own options: an analysis shares no flag's meaning with a test
 * (--target filters here, it does not choose a server). The figures come
 * from the store layer (ws-analysis.c); this file parses and prints.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ws-analysis.h"
#include "ws-cli-analyze.h"
#include "ws-cli-options.h"
#include "ws-units.h"

/* What the table shows for a figure not measured. */
#define NONE "–"

typedef struct {
  gboolean analyze;
  gboolean json;
  gboolean csv;
  char *db;
  char *since;
  char *agent;
  char *target;
  char *tz;
  gdouble fraction;
} Raw;

gboolean
ws_cli_analyze_wanted (int    argc,
                       char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--analyze") == 0)
      return TRUE;
  return FALSE;
}

static GOptionContext *
build_context (Raw *raw)
{
  const GOptionEntry entries[] = {
    { "analyze", 0, 0, G_OPTION_ARG_NONE, &raw->analyze,
      N_("Analyze the results in a store or the app's history"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &raw->db,
      N_("The store: a file, a postgresql:// URI, or the app's history.db"), N_("DB") },
    { "since", 0, 0, G_OPTION_ARG_STRING, &raw->since,
      N_("Only results since then: 30m, 12h, 7d, 2w, a date or an ISO 8601 time (default: all)"),
      N_("WHEN") },
    { "agent", 0, 0, G_OPTION_ARG_STRING, &raw->agent, N_("Only this agent's results"), N_("NAME") },
    { "target", 0, 0, G_OPTION_ARG_STRING, &raw->target, N_("Only results against this target"),
      N_("HOST") },
    { "tz", 0, 0, G_OPTION_ARG_STRING, &raw->tz,
      N_("Time zone of hours and days, e.g. UTC or Europe/Berlin (default: this machine's)"),
      N_("ZONE") },
    { "congestion-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &raw->fraction,
      N_("Congested below this share of the 7-day median for the hour (default: 0.7)"), N_("F") },
    { "json", 'J', 0, G_OPTION_ARG_NONE, &raw->json, N_("Print JSON (README: Analysis JSON)"), NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &raw->csv, N_("Print one CSV row per agent, target and test"),
      NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_summary (context, _("Analyze stored results: wirespeed --analyze --db DB"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

static gboolean
usage (GError     **error,
       const char  *message)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  return FALSE;
}

static gboolean
fill_options (WsAnalysisOptions  *options,
              const Raw          *raw,
              GError            **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  options->since_us = G_MININT64;
  options->agent = raw->agent;
  options->target = raw->target;
  options->fraction = isnan (raw->fraction) ? WS_ANALYSIS_DEFAULT_FRACTION : raw->fraction;
  if (raw->db == NULL)
    return usage (error, _("--analyze needs --db DB: a store file, a postgresql:// URI or history.db"));
  if (raw->json && raw->csv)
    return usage (error, _("--json and --csv are mutually exclusive"));
  if (!(options->fraction > 0 && options->fraction < 1))
    return usage (error, _("--congestion-fraction must be between 0 and 1, e.g. 0.7"));
  if (raw->tz != NULL && (options->tz = g_time_zone_new_identifier (raw->tz)) == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--tz must be a time zone like UTC or Europe/Berlin, not “%s”"), raw->tz);
      return FALSE;
    }
  if (options->tz == NULL)
    options->tz = g_time_zone_new_local ();
  if (raw->since != NULL && !ws_analysis_parse_since (raw->since, now, options->tz, &options->since_us))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--since must be 30m, 12h, 7d or 2w (minutes, hours, days, weeks before now), "
                     "a date like 2024-01-31 or an ISO 8601 time like 2024-01-31T08:00:00Z, not “%s”"),
                   raw->since);
      return FALSE;
    }
  return TRUE;
}

static char *
rate (gdouble bps)
{
  return isnan (bps) ? g_strdup (NONE) : ws_format_bitrate (bps);
}

static char *
ms (gdouble value)
{
  return isnan (value) ? g_strdup (NONE) : g_strdup_printf ("%.1f ms", value);
}

static char *
percent (gdouble value)
{
  return isnan (value) ? g_strdup (NONE) : g_strdup_printf ("%.2f %%", value);
}

static void
print_groups (const WsAnalysis *a)
{
  printf ("%-16s %-20s %-10s %6s %6s %13s %13s %13s %13s %13s %10s %10s %8s\n",
          _("Agent"), _("Target"), _("Test"), _("Tests"), _("Failed"), _("Down mean"),
          _("Down p50"), _("Down p95"), _("Up mean"), _("Up p50"), _("Loaded p50"),
          _("Loaded p95"), _("Loss"));
  for (guint i = 0; i < a->groups->len; i++)
    {
      const WsAnalysisGroup *g = &g_array_index (a->groups, WsAnalysisGroup, i);
      g_autofree char *dm = rate (g->download_bps.mean), *d50 = rate (g->download_bps.p50);
      g_autofree char *d95 = rate (g->download_bps.p95), *um = rate (g->upload_bps.mean);
      g_autofree char *u50 = rate (g->upload_bps.p50), *l50 = ms (g->loaded_p50_ms);
      g_autofree char *l95 = ms (g->loaded_p95_ms), *loss = percent (g->loss_mean);

      printf ("%-16s %-20s %-10s %6" G_GINT64_FORMAT " %6" G_GINT64_FORMAT
              " %13s %13s %13s %13s %13s %10s %10s %8s\n",
              g->agent, g->target, g->test, g->count, g->failed, dm, d50, d95, um, u50, l50, l95, loss);
    }
}

static void
print_busiest (const WsAnalysis *a)
{
  g_autofree char *down = NULL, *loaded = NULL;

  if (a->busiest.hour < 0)
    {
      printf ("%s %s\n", _("Busiest hour:"), NONE);
      return;
    }
  down = rate (a->busiest.download_p50);
  loaded = ms (a->busiest.loaded_p50_ms);
  /* Translators: an hour of the day, then a rate and a latency. */
  printf (_("Busiest hour: %02d:00–%02d:00, median download %s, loaded latency %s\n"),
          a->busiest.hour, (a->busiest.hour + 1) % 24, down, loaded);
}

static void
print_congestion (const WsAnalysis *a)
{
  printf (ngettext ("%u congestion period\n", "%u congestion periods\n", a->periods->len),
          a->periods->len);
  for (guint i = 0; i < a->periods->len; i++)
    {
      const WsAnalysisPeriod *p = g_ptr_array_index (a->periods, i);
      g_autofree char *start = ws_analysis_format_time (a, p->start_s);
      g_autofree char *end = ws_analysis_format_time (a, p->end_s);
      g_autoptr(GString) agents = g_string_new (NULL);

      for (guint k = 0; k < p->agents->len; k++)
        g_string_append_printf (agents, "%s%s", k ? ", " : "", (char *) g_ptr_array_index (p->agents, k));

      /* Translators: start – end, shared or local, how far below the
       * baseline, then the agents. */
      printf (_("  %s – %s  %s, %.0f %% below the baseline: %s\n"), start, end,
              p->shared ? _("shared") : _("local"), p->depth * 100, agents->str);
    }
}

static void
print_text (const WsAnalysis *a)
{
  g_autofree char *first = a->n_results ? ws_analysis_format_time (a, a->first_us / G_USEC_PER_SEC) : NULL;
  g_autofree char *last = a->n_results ? ws_analysis_format_time (a, a->last_us / G_USEC_PER_SEC) : NULL;

  printf (g_dngettext (GETTEXT_PACKAGE, "%s: %lld result", "%s: %lld results", a->n_results),
          a->location, (long long) a->n_results);
  if (a->n_results > 0)
    printf (" %s – %s (%s)", first, last, a->tz_name);
  printf ("\n\n");
  print_groups (a);
  printf ("\n");
  print_busiest (a);
  print_congestion (a);
}

static int
analyze (const Raw *raw)
{
  WsAnalysisOptions options = { 0 };
  g_autoptr(WsAnalysis) analysis = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = WS_CLI_EXIT_FAILURE;

  if (!fill_options (&options, raw, &error))
    {
      fprintf (stderr, "wirespeed: %s\n", error->message);
      g_clear_pointer (&options.tz, g_time_zone_unref);
      return WS_CLI_EXIT_USAGE;
    }
  analysis = ws_analysis_run (raw->db, &options, &error);
  g_clear_pointer (&options.tz, g_time_zone_unref);
  if (analysis == NULL)
    {
      fprintf (stderr, "wirespeed: %s\n", error->message);
      return status;
    }
  if (raw->json || raw->csv)
    {
      out = raw->json ? ws_analysis_to_json (analysis) : ws_analysis_to_csv (analysis);
      fputs (out, stdout);
      if (raw->json)
        fputc ('\n', stdout);
    }
  else
    print_text (analysis);
  return fflush (stdout) == 0 ? 0 : status;
}

int
ws_cli_analyze_main (int    argc,
                     char **argv)
{
  g_auto(GStrv) args = g_strdupv (argv);
  Raw raw = { .fraction = NAN };
  g_autoptr(GOptionContext) context = build_context (&raw);
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_option_context_parse_strv (context, &args, &error) || g_strv_length (args) > 1)
    {
      fprintf (stderr, "wirespeed: %s\n", error ? error->message : _("Unexpected argument"));
      fprintf (stderr, "%s\n", _("Try “wirespeed --analyze --help” for more information."));
      status = WS_CLI_EXIT_USAGE;
    }
  else
    status = analyze (&raw);
  g_free (raw.db);
  g_free (raw.since);
  g_free (raw.agent);
  g_free (raw.target);
  g_free (raw.tz);
  return status;
}
