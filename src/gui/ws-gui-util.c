/* ws-gui-util.c — small things the window and the history share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

#include "ws-gui-util.h"
#include "ws-text-printer.h"
#include "ws-units.h"

const char *
ws_gui_mode_name (WsTestMode mode)
{
  switch (mode)
    {
    case WS_TEST_SPEED: return _("Speed test");
    case WS_TEST_TCP_STREAM: return _("TCP stream");
    case WS_TEST_TCP_RR: return _("TCP request/response");
    case WS_TEST_UDP_STREAM: return _("UDP stream");
    case WS_TEST_UDP_RR: return _("UDP request/response");
    case WS_TEST_HTTP: return _("HTTP");
    default: return _("Unknown test");
    }
}

char *
ws_gui_format_rate (gdouble  bps,
                    gboolean bytes)
{
  return bytes ? ws_format_byterate (bps) : ws_format_bitrate (bps);
}

/* Loopback and LAN latencies are fractions of a millisecond. */
char *
ws_gui_format_ms (gdouble ms)
{
  if (ms < 1)
    return g_strdup_printf (_("%.3f ms"), ms);
  if (ms < 100)
    return g_strdup_printf (_("%.1f ms"), ms);
  return g_strdup_printf (_("%.0f ms"), ms);
}

/* One line for a list: "↓ 941 Mbit/s · ↑ 512 Mbit/s · 0.052 ms · RPM 1150". */
char *
ws_gui_headline (const WsResult *r,
                 gboolean        bytes)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const WsLatency *latency = ws_result_headline_latency (r);
  gdouble rpm = ws_result_rpm (r);

  if (r->download.measured)
    {
      g_autofree char *rate = ws_gui_format_rate (ws_flow_stats_bps (&r->download, r->download_s), bytes);
      g_ptr_array_add (parts, g_strdup_printf ("↓ %s", rate));
    }
  if (r->upload.measured)
    {
      g_autofree char *rate = ws_gui_format_rate (ws_flow_stats_bps (&r->upload, r->upload_s), bytes);
      g_ptr_array_add (parts, g_strdup_printf ("↑ %s", rate));
    }
  if (ws_test_mode_is_rr (r->mode) && r->elapsed_s > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("%.0f transactions/s"), ws_result_transactions_per_s (r)));
  if (latency->count)
    g_ptr_array_add (parts, ws_gui_format_ms (latency->p50));
  if (rpm > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("RPM %.0f"), rpm));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* The text the command line prints, so that a pasted summary reads the same
 * wherever it came from. */
char *
ws_gui_summary (WsResult *r)
{
  g_autofree char *body = NULL;
  g_autofree char *when = r->start_time ? g_date_time_format (r->start_time, "%Y-%m-%d %H:%M:%S %Z") : g_strdup ("");
  size_t size = 0;
  FILE *out = open_memstream (&body, &size);

  if (out == NULL)
    return NULL;
  ws_text_print_summary (out, r);
  fclose (out);
  /* Translators: "Speed test of example.org:5201, 2026-11-22 14:03:00 CET" */
  return g_strdup_printf (_("Wirespeed %s of %s:%u, %s\n%s"), ws_gui_mode_name (r->mode),
                          r->target ? r->target : "", r->port, when, body ? body : "");
}

typedef struct {
  WsSaveCallback callback;
  GObject *owner;
} SaveData;

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  SaveData        *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      data->callback (file, data->owner);
    }
  g_object_unref (data->owner);
  g_free (data);
  g_object_unref (dialog);
}

/* A native save dialog (the portal in a sandbox). @patterns: "*.png"…
 * @owner is kept alive until the dialog closes, and passed to @callback. */
void
ws_gui_save_dialog (GtkWindow       *parent,
                    const char      *title,
                    const char      *suggested_name,
                    const char     **patterns,
                    WsSaveCallback   callback,
                    gpointer         owner)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (title, parent, GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              _("_Save"), _("_Cancel"));
  SaveData *data = g_new0 (SaveData, 1);

  for (guint i = 0; patterns != NULL && patterns[i] != NULL; i++)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, patterns[i]);
      gtk_file_filter_add_pattern (filter, patterns[i]);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
      g_object_unref (filter);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), suggested_name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  data->callback = callback;
  data->owner = g_object_ref (owner);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_result_worker (GTask        *task,
                    gpointer      source,
                    gpointer      data,
                    GCancellable *cancellable)
{
  WsResult *result = data;
  GFile *file = g_object_get_data (G_OBJECT (task), "ws-file");
  g_autofree char *json = ws_result_to_json_string (result);
  GError *error = NULL;

  if (g_file_replace_contents (file, json, strlen (json), NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                               cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* @result's JSON, built and written to @file on a worker: a long test's
 * is megabytes. */
void
ws_gui_save_result_async (WsResult            *result,
                          GFile               *file,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, ws_gui_save_result_async);
  g_task_set_task_data (task, ws_result_ref (result), (GDestroyNotify) ws_result_unref);
  g_object_set_data_full (G_OBJECT (task), "ws-file", g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, save_result_worker);
}

gboolean
ws_gui_save_result_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
