/* ws-store.c — where a collector keeps agents' reports: the interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <string.h>

#include "ws-store-private.h"

G_DEFINE_INTERFACE (WsStore, ws_store, G_TYPE_OBJECT)

static void
ws_store_default_init (WsStoreInterface *iface)
{
}

static gboolean
is_pg_uri (const char *location)
{
  return g_str_has_prefix (location, "postgresql://") || g_str_has_prefix (location, "postgres://");
}

/* @location: a file path (SQLite) or a postgresql:// or postgres:// URI.
 * An older schema is migrated; a newer one is refused. */
WsStore *
ws_store_open (const char  *location,
               GError     **error)
{
  g_return_val_if_fail (location != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (is_pg_uri (location))
    return ws_pg_store_open (location, error);
  if (*location == '\0' || strstr (location, "://") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: what was given; keep the URI schemes as they are. */
                   _("Store “%s”: neither a file nor a postgresql:// URI"), location);
      return NULL;
    }
  return ws_sqlite_store_open (location, error);
}

/* A URI's password is not for logs: "postgresql://u:pw@h/db" is shown as
 * "postgresql://u@h/db"; a key=value "password" likewise. */
char *
ws_store_display_location (const char *location)
{
  g_autoptr(GRegex) userinfo = g_regex_new ("^([a-z]+://[^:@/]*):[^@/]*@", 0, 0, NULL);
  g_autoptr(GRegex) param = g_regex_new ("([?&]password=)[^&]*", 0, 0, NULL);
  g_autofree char *step = g_regex_replace (userinfo, location, -1, 0, "\\1@", 0, NULL);

  return g_regex_replace (param, step ? step : "", -1, 0, "\\1…", 0, NULL);
}

/* libpq's messages span lines ("…failed: …\n\tIs the server running…"). */
char *
ws_store_one_line (const char *message)
{
  g_auto(GStrv) parts = g_strsplit_set (message ? message : "", "\r\n\t", -1);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] == '\0')
        continue;
      if (line->len > 0)
        g_string_append_c (line, ' ');
      g_string_append (line, parts[i]);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

void
ws_store_set_newer_error (GError     **error,
                          const char  *location,
                          gint64       version)
{
  g_autofree char *shown = ws_store_display_location (location);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               /* Translators: a file or URI, then two schema numbers. */
               _("Store “%s” was written by a newer version of Wirespeed "
                 "(schema %lld; this version knows up to %d)"),
               shown, (long long) version, WS_STORE_SCHEMA_VERSION);
}

gboolean
ws_store_row_init (WsStoreRow     *row,
                   const WsReport *report,
                   GError        **error)
{
  g_autoptr(JsonNode) root = NULL;

  memset (row, 0, sizeof *row);
  row->report = report;
  row->id = ws_report_id_normalize (report->id);
  if (row->id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   /* Translators: the id as it came; a UUID is 8-4-4-4-12 hex digits. */
                   _("Report id “%s” is not a UUID"), report->id ? report->id : "");
      return FALSE;
    }
  if (report->agent == NULL || *report->agent == '\0' || report->result == NULL
      || report->result->target == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Report %s has no agent or no target"), row->id);
      g_clear_pointer (&row->id, g_free);
      return FALSE;
    }
  root = ws_result_to_json (report->result);
  ws_report_get_figures (report, root, &row->figures);
  row->json = json_to_string (root, FALSE);
  return TRUE;
}

void
ws_store_row_clear (WsStoreRow *row)
{
  g_clear_pointer (&row->id, g_free);
  g_clear_pointer (&row->json, g_free);
}

/* Returns FALSE and @error, or TRUE and @outcome. */
gboolean
ws_store_add (WsStore         *self,
              WsReport        *report,
              WsStoreOutcome  *outcome,
              GError         **error)
{
  WsStoreOutcome ignored;

  return ws_store_add_many (self, &report, 1, outcome ? outcome : &ignored, error);
}

/* All of @reports in one transaction: none is stored if it fails. Each
 * one's outcome goes to @outcomes, in the same order. */
gboolean
ws_store_add_many (WsStore         *self,
                   WsReport *const *reports,
                   guint            n_reports,
                   WsStoreOutcome  *outcomes,
                   GError         **error)
{
  g_return_val_if_fail (WS_IS_STORE (self), FALSE);
  g_return_val_if_fail (reports != NULL || n_reports == 0, FALSE);
  g_return_val_if_fail (outcomes != NULL || n_reports == 0, FALSE);

  if (n_reports == 0)
    return TRUE;
  return WS_STORE_GET_IFACE (self)->add_many (self, reports, n_reports, outcomes, error);
}

/* Deletes the reports whose test started before @before; returns how
 * many, or -1 and @error. */
gint64
ws_store_prune (WsStore    *self,
                GDateTime  *before,
                GError    **error)
{
  g_return_val_if_fail (WS_IS_STORE (self), -1);
  g_return_val_if_fail (before != NULL, -1);

  return WS_STORE_GET_IFACE (self)->prune (self, before, error);
}

/* -1 and @error when it cannot say. */
gint64
ws_store_count (WsStore  *self,
                GError  **error)
{
  g_return_val_if_fail (WS_IS_STORE (self), -1);

  return WS_STORE_GET_IFACE (self)->count (self, error);
}

/* FALSE with no @error: not there. */
gboolean
ws_store_has_id (WsStore     *self,
                 const char  *id,
                 GError     **error)
{
  return ws_store_lookup (self, id, NULL, NULL, error);
}

/* The indexed columns and the stored JSON of report @id; FALSE without
 * @error when there is none. @figures and @json may be NULL. */
gboolean
ws_store_lookup (WsStore          *self,
                 const char       *id,
                 WsReportFigures  *figures,
                 char            **json,
                 GError          **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (WS_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  canonical = ws_report_id_normalize (id);
  if (canonical == NULL)
    return FALSE;
  return WS_STORE_GET_IFACE (self)->lookup (self, canonical, figures, json, error);
}

/* Every stored id (char *), in no order; NULL and @error on failure. */
GPtrArray *
ws_store_list_ids (WsStore  *self,
                   GError  **error)
{
  g_return_val_if_fail (WS_IS_STORE (self), NULL);

  return WS_STORE_GET_IFACE (self)->list_ids (self, error);
}

/* @format with its "%s" replaced by @param. */
static char *
wrap_param (const char *format,
            const char *param)
{
  GString *text = g_string_new (format);

  g_string_replace (text, "%s", param, 0);
  return g_string_free (text, FALSE);
}

/* Every add's statement: ON CONFLICT DO NOTHING is what makes a second
 * report of one id, even at the same moment from another process, no row. */
char *
ws_store_insert_sql (const char *time_format)
{
  GString *sql = g_string_new ("INSERT INTO reports (id, received_at, agent, target,"
                               " port, test, start_time, failed, json, local_address,"
                               " seen_address, server_tests, error");
  g_autofree char *received = wrap_param (time_format, "$2");
  g_autofree char *start = wrap_param (time_format, "$7");

  for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
    g_string_append_printf (sql, ", %s", ws_report_number_column (i));
  g_string_append_printf (sql, ") VALUES ($1, %s, $3, $4, $5, $6, %s", received, start);
  for (guint i = WS_STORE_P_FAILED; i < WS_STORE_P_NUMBERS + WS_REPORT_N_NUMBERS; i++)
    g_string_append_printf (sql, ", $%u", i);
  g_string_append (sql, ") ON CONFLICT (id) DO NOTHING");
  return g_string_free (sql, FALSE);
}

/* Columns: start time, test, failed, the numbers, the JSON. */
char *
ws_store_lookup_sql (const char *start_time,
                     const char *failed)
{
  GString *sql = g_string_new (NULL);

  g_string_append_printf (sql, "SELECT %s, test, %s", start_time, failed);
  for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
    g_string_append_printf (sql, ", %s", ws_report_number_column (i));
  g_string_append (sql, ", json FROM reports WHERE id = $1");
  return g_string_free (sql, FALSE);
}

gboolean
ws_store_read_figures (WsReportFigures  *figures,
                       const char       *test,
                       gint64            start_time_us,
                       gboolean          failed,
                       GError          **error)
{
  figures->start_time_us = start_time_us;
  figures->failed = failed;
  if (test == NULL || !ws_test_mode_from_string (test, &figures->mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Store: unknown test “%s” in a stored report"), test ? test : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
_ws_store_make_parent_dir (const char  *path,
                           GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int saved_errno;

  if (g_mkdir_with_parents (dir, 0700) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               /* Translators: a folder, then the system's reason. */
               _("Cannot create “%s”: %s"), dir, g_strerror (saved_errno));
  return FALSE;
}

WsStoreDialect
ws_store_get_dialect (WsStore *self)
{
  g_return_val_if_fail (WS_IS_STORE (self), WS_STORE_DIALECT_SQLITE);

  return WS_STORE_GET_IFACE (self)->get_dialect (self);
}

/* Runs one SELECT in the store's dialect, with $1… bound to @params
 * (text; cast them in the SQL where a number is meant). For aggregates:
 * the whole answer is held in memory. NULL and @error on failure. */
WsStoreRows *
ws_store_query (WsStore           *self,
                const char        *sql,
                const char *const *params,
                guint              n_params,
                GError           **error)
{
  g_return_val_if_fail (WS_IS_STORE (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);
  g_return_val_if_fail (params != NULL || n_params == 0, NULL);

  return WS_STORE_GET_IFACE (self)->query (self, sql, params, n_params, error);
}
