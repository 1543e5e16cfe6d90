/* ws-store-rows.c — a query's answer, held in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-store-private.h"

typedef struct {
  char *text;      /* NULL: SQL NULL */
  gdouble number;
} Cell;

struct _WsStoreRows {
  guint n_columns;
  GArray *cells;   /* Cell, row after row */
};

static void
clear_cell (gpointer data)
{
  g_free (((Cell *) data)->text);
}

WsStoreRows *
_ws_store_rows_new (guint n_columns)
{
  WsStoreRows *rows = g_new0 (WsStoreRows, 1);

  rows->n_columns = n_columns;
  rows->cells = g_array_new (FALSE, TRUE, sizeof (Cell));
  g_array_set_clear_func (rows->cells, clear_cell);
  return rows;
}

void
_ws_store_rows_add_row (WsStoreRows *rows)
{
  g_array_set_size (rows->cells, rows->cells->len + rows->n_columns);
}

/* Sets a cell of the last row; @text NULL is SQL NULL. */
void
_ws_store_rows_set (WsStoreRows *rows,
                    guint        column,
                    const char  *text,
                    gdouble      number)
{
  Cell *cell;

  g_assert (column < rows->n_columns && rows->cells->len >= rows->n_columns);
  cell = &g_array_index (rows->cells, Cell, rows->cells->len - rows->n_columns + column);
  g_free (cell->text);
  cell->text = g_strdup (text);
  cell->number = text ? number : NAN;
}

void
ws_store_rows_free (WsStoreRows *rows)
{
  if (rows == NULL)
    return;
  g_array_unref (rows->cells);
  g_free (rows);
}

guint
ws_store_rows_get_n_rows (const WsStoreRows *rows)
{
  return rows->n_columns ? rows->cells->len / rows->n_columns : 0;
}

guint
ws_store_rows_get_n_columns (const WsStoreRows *rows)
{
  return rows->n_columns;
}

static const Cell *
get_cell (const WsStoreRows *rows,
          guint              row,
          guint              column)
{
  g_return_val_if_fail (column < rows->n_columns, NULL);
  g_return_val_if_fail (row < ws_store_rows_get_n_rows (rows), NULL);

  return &g_array_index (rows->cells, Cell, row * rows->n_columns + column);
}

gboolean
ws_store_rows_is_null (const WsStoreRows *rows,
                       guint              row,
                       guint              column)
{
  const Cell *cell = get_cell (rows, row, column);

  return cell == NULL || cell->text == NULL;
}

/* NULL for SQL NULL. */
const char *
ws_store_rows_get_text (const WsStoreRows *rows,
                        guint              row,
                        guint              column)
{
  const Cell *cell = get_cell (rows, row, column);

  return cell ? cell->text : NULL;
}

/* NAN for SQL NULL. */
gdouble
ws_store_rows_get_double (const WsStoreRows *rows,
                          guint              row,
                          guint              column)
{
  const Cell *cell = get_cell (rows, row, column);

  return cell && cell->text ? cell->number : NAN;
}

/* 0 for SQL NULL. */
gint64
ws_store_rows_get_int (const WsStoreRows *rows,
                       guint              row,
                       guint              column)
{
  const Cell *cell = get_cell (rows, row, column);

  return cell && cell->text ? g_ascii_strtoll (cell->text, NULL, 10) : 0;
}
