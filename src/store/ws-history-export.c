/* ws-history-export.c — the history as CSV, and one result as JSON
 *
 * Both read the store under its lock (ws-history.c) and write to a stream,
 * a chunk at a time for the CSV.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-history-private.h"

/* How much CSV to gather before writing it out. */
#define CSV_CHUNK (64 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* The CSV export, oldest first: one header line, then a row per result.
 * RFC 4180: comma-separated, CRLF line ends, a field quoted when it holds a
 * comma, a quote or a line break, quotes doubled inside. An empty field is
 * a number that does not apply to the test or was not measured.
 *
 *   id                  the history's id of the result
 *   start_time          ISO 8601 in UTC, to the second
 *   target, port        the server as it was asked for
 *   test                TCP_STREAM, TCP_RR, UDP_STREAM, UDP_RR or SPEED
 *   direction           upload, download or bidir
 *   streams             parallel streams
 *   duration_s          the duration asked for, whole seconds
 *   elapsed_s           how long it ran
 *   interrupted         true or false
 *   upload_bps          received rates, bit/s
 *   download_bps
 *   retransmits         TCP throughput tests and speed tests
 *   loss_percent        UDP and request/response tests
 *   jitter_ms           UDP datagram jitter, request/response RTT jitter, or
 *                       the latency probe's in TCP tests that measured it
 *   latency_ms          median round trip: request/response latency, else
 *                       loaded latency, else idle latency (as the list)
 *   idle_latency_ms     median with the link quiet
 *   loaded_latency_ms   median under load
 *   transactions_per_s  request/response tests
 *   rpm                 round trips per minute under load
 */
typedef enum {
  CELL_INTEGER,
  CELL_REAL,
  CELL_TEXT,
  CELL_TIME,
  CELL_MODE,
  CELL_DIRECTION,
  CELL_BOOLEAN,
} CellKind;

static const struct {
  const char *name;
  CellKind kind;
  const char *format;
} csv_columns[] = {
  { "id", CELL_INTEGER },
  { "start_time", CELL_TIME },
  { "target", CELL_TEXT },
  { "port", CELL_INTEGER },
  { "test", CELL_MODE },
  { "direction", CELL_DIRECTION },
  { "streams", CELL_INTEGER },
  { "duration_s", CELL_INTEGER },
  { "elapsed_s", CELL_REAL, "%.6f" },
  { "interrupted", CELL_BOOLEAN },
  { "upload_bps", CELL_REAL, "%.0f" },
  { "download_bps", CELL_REAL, "%.0f" },
  { "retransmits", CELL_INTEGER },
  { "loss_percent", CELL_REAL, "%.6f" },
  { "jitter_ms", CELL_REAL, "%.6f" },
  { "latency_ms", CELL_REAL, "%.6f" },
  { "idle_latency_ms", CELL_REAL, "%.6f" },
  { "loaded_latency_ms", CELL_REAL, "%.6f" },
  { "transactions_per_s", CELL_REAL, "%.3f" },
  { "rpm", CELL_REAL, "%.1f" },
};

/* Same columns, same order as csv_columns. */
static const char csv_sql[] =
  "SELECT id, start_time, target, port, mode, direction, streams, duration_s,"
  " elapsed_s, interrupted, upload_bps, download_bps, retransmits, loss_percent,"
  " jitter_ms, latency_ms, idle_latency_ms, loaded_latency_ms,"
  " transactions_per_s, rpm FROM results ORDER BY start_time, id";

static void
append_csv_text (GString    *row,
                 const char *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (row, text);
      return;
    }
  g_string_append_c (row, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (row, '"');
      g_string_append_c (row, *p);
    }
  g_string_append_c (row, '"');
}

static void
append_csv_time (GString *row,
                 gint64   usec)
{
  g_autoptr(GDateTime) local = _ws_history_date_time (usec);
  g_autoptr(GDateTime) utc = g_date_time_to_utc (local);
  g_autofree char *text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");

  g_string_append (row, text);
}

static void
append_csv_real (GString    *row,
                 const char *format,
                 gdouble     value)
{
  /* Room for DBL_MAX in %f, which only a damaged file would hold. */
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];

  g_string_append (row, g_ascii_formatd (buf, sizeof buf, format, value));
}

static void
append_csv_cell (GString      *row,
                 sqlite3_stmt *stmt,
                 int           i)
{
  const char *text;

  if (sqlite3_column_type (stmt, i) == SQLITE_NULL)
    return;
  switch (csv_columns[i].kind)
    {
    case CELL_INTEGER:
      g_string_append_printf (row, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, i));
      break;
    case CELL_REAL:
      append_csv_real (row, csv_columns[i].format, sqlite3_column_double (stmt, i));
      break;
    case CELL_TEXT:
      text = (const char *) sqlite3_column_text (stmt, i);
      append_csv_text (row, text ? text : "");
      break;
    case CELL_TIME:
      append_csv_time (row, sqlite3_column_int64 (stmt, i));
      break;
    case CELL_MODE:
      g_string_append (row, ws_test_mode_to_string (sqlite3_column_int (stmt, i)));
      break;
    case CELL_DIRECTION:
      g_string_append (row, ws_direction_to_string (sqlite3_column_int (stmt, i)));
      break;
    case CELL_BOOLEAN:
      g_string_append (row, sqlite3_column_int (stmt, i) ? "true" : "false");
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
append_csv_row (GString      *csv,
                sqlite3_stmt *stmt)
{
  for (guint i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    {
      if (i > 0)
        g_string_append_c (csv, ',');
      append_csv_cell (csv, stmt, i);
    }
  g_string_append (csv, "\r\n");
}

static gboolean
write_csv (GOutputStream  *out,
           GString        *csv,
           GCancellable   *cancellable,
           GError        **error)
{
  gboolean ok = g_output_stream_write_all (out, csv->str, csv->len, NULL, cancellable, error);

  g_string_truncate (csv, 0);
  return ok;
}

gboolean
ws_history_export_csv (WsHistory      *self,
                       GOutputStream  *out,
                       GCancellable   *cancellable,
                       GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GString) csv = g_string_new (NULL);
  int rc;

  g_return_val_if_fail (WS_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  stmt = _ws_history_prepare (self, csv_sql, error);
  if (stmt == NULL)
    return FALSE;
  g_assert (sqlite3_column_count (stmt) == G_N_ELEMENTS (csv_columns));
  for (guint i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    g_string_append_printf (csv, "%s%s", i ? "," : "", csv_columns[i].name);
  g_string_append (csv, "\r\n");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      append_csv_row (csv, stmt);
      if (csv->len >= CSV_CHUNK && !write_csv (out, csv, cancellable, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return _ws_history_sqlite_error (self, rc, error);
  return write_csv (out, csv, cancellable, error);
}

/* The stored JSON as it is, in the layout of ws_result_to_json_string(). */
gboolean
ws_history_export_json (WsHistory      *self,
                        gint64          id,
                        GOutputStream  *out,
                        GCancellable   *cancellable,
                        GError        **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize length;

  g_return_val_if_fail (WS_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  g_mutex_lock (&self->lock);
  root = _ws_history_load_json (self, id, error);
  g_mutex_unlock (&self->lock);
  if (root == NULL)
    return FALSE;
  text = ws_json_to_pretty_string (root, &length);
  return g_output_stream_write_all (out, text, length, NULL, cancellable, error)
         && g_output_stream_write_all (out, "\n", 1, NULL, cancellable, error);
}
