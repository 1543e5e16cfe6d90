/* ws-history-async.c — the history's calls on a worker thread
 *
 * Each call of ws-history.c as a GTask run in a thread, for the window: a
 * write waits for the disk (SQLite syncs at every commit), and a result's
 * JSON is built or parsed there too, which takes a while for a long test.
 * The connection's lock keeps the calls whole; their order is the order
 * they get the lock in. A change is said ("changed") on the caller's main
 * context, before the call's callback runs there.
 *
 * A write (add, delete, clear, and an export to a file) counts from the
 * call until it is done, so that ws_history_flush() can wait for all of
 * them; once queued it is never cancelled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-history-private.h"

typedef enum {
  JOB_ADD,
  JOB_LIST,
  JOB_GET,
  JOB_DELETE,
  JOB_CLEAR,
  JOB_SAVE_CSV,
  JOB_SAVE_JSON,
} JobKind;

typedef struct {
  JobKind kind;
  gint64 id;
  WsResult *result;
  GFile *file;
} Job;

static void
job_free (Job *job)
{
  g_clear_pointer (&job->result, ws_result_unref);
  g_clear_object (&job->file);
  g_free (job);
}

static gboolean
job_writes (const Job *job)
{
  return job->kind != JOB_LIST && job->kind != JOB_GET;
}

static gboolean
emit_changed (gpointer data)
{
  _ws_history_emit_changed (data);
  return G_SOURCE_REMOVE;
}

/* Queued on the task's context before the task's own return is, at its
 * priority: the callback then finds listeners already told. Never
 * g_main_context_invoke(), which would run it here when the main thread
 * does not hold the context at that moment. */
static void
say_changed (GTask *task)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, emit_changed, g_object_ref (g_task_get_source_object (task)), g_object_unref);
  g_source_set_static_name (source, "[wirespeed] history changed");
  g_source_attach (source, g_task_get_context (task));
}

static gboolean
save_csv (WsHistory     *self,
          GFile         *file,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, error);

  return out != NULL
         && ws_history_export_csv (self, G_OUTPUT_STREAM (out), cancellable, error)
         && g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error);
}

static gboolean
save_json (WsHistory     *self,
           gint64         id,
           GFile         *file,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, error);

  return out != NULL
         && ws_history_export_json (self, id, G_OUTPUT_STREAM (out), cancellable, error)
         && g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error);
}

/* The writes that change the rows: TRUE, or FALSE and @error. */
static gboolean
run_change (WsHistory  *self,
            Job        *job,
            GError    **error)
{
  switch (job->kind)
    {
    case JOB_ADD:
      job->id = _ws_history_add (self, job->result, error);
      return job->id > 0;
    case JOB_DELETE:
      return _ws_history_delete (self, job->id, error);
    case JOB_CLEAR:
      return _ws_history_clear (self, error);
    default:
      g_assert_not_reached ();
    }
}

static void
run_job (GTask        *task,
         gpointer      source,
         gpointer      data,
         GCancellable *cancellable)
{
  WsHistory *self = source;
  Job *job = data;
  GError *error = NULL;
  gpointer found;
  gboolean ok;

  switch (job->kind)
    {
    case JOB_LIST:
      if ((found = ws_history_list (self, &error)) == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, found, (GDestroyNotify) g_ptr_array_unref);
      return;
    case JOB_GET:
      if ((found = ws_history_get (self, job->id, &error)) == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, found, (GDestroyNotify) ws_result_unref);
      return;
    case JOB_SAVE_CSV:
      ok = save_csv (self, job->file, cancellable, &error);
      break;
    case JOB_SAVE_JSON:
      ok = save_json (self, job->id, job->file, cancellable, &error);
      break;
    default:
      if ((ok = run_change (self, job, &error)))
        say_changed (task);
      break;
    }
  _ws_history_end_write (self);
  if (!ok)
    g_task_return_error (task, error);
  else if (job->kind == JOB_ADD)
    g_task_return_int (task, job->id);
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_job (WsHistory           *self,
           Job                 *job,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  if (job_writes (job))
    {
      /* What it says is what happened, cancelled or not. */
      g_task_set_check_cancellable (task, FALSE);
      _ws_history_begin_write (self);
    }
  g_task_run_in_thread (task, run_job);
}

static Job *
job_new (JobKind kind)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  return job;
}

static gboolean
task_valid (WsHistory    *self,
            GAsyncResult *result,
            gpointer      source_tag)
{
  return g_task_is_valid (result, self) && g_task_get_source_tag (G_TASK (result)) == source_tag;
}

void
ws_history_add_async (WsHistory           *self,
                      WsResult            *result,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  Job *job;

  g_return_if_fail (WS_IS_HISTORY (self));
  g_return_if_fail (result != NULL);
  job = job_new (JOB_ADD);
  job->result = ws_result_ref (result);
  start_job (self, job, ws_history_add_async, NULL, callback, user_data);
}

/* The new result's id, or 0 and @error. */
gint64
ws_history_add_finish (WsHistory     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  gint64 id;

  g_return_val_if_fail (task_valid (self, result, ws_history_add_async), 0);
  id = g_task_propagate_int (G_TASK (result), error);
  return id > 0 ? id : 0;
}

void
ws_history_list_async (WsHistory           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (WS_IS_HISTORY (self));
  start_job (self, job_new (JOB_LIST), ws_history_list_async, cancellable, callback, user_data);
}

/* Returns: (transfer full): as ws_history_list(). */
GPtrArray *
ws_history_list_finish (WsHistory     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (task_valid (self, result, ws_history_list_async), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ws_history_get_async (WsHistory           *self,
                      gint64               id,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  Job *job;

  g_return_if_fail (WS_IS_HISTORY (self));
  job = job_new (JOB_GET);
  job->id = id;
  start_job (self, job, ws_history_get_async, cancellable, callback, user_data);
}

WsResult *
ws_history_get_finish (WsHistory     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (task_valid (self, result, ws_history_get_async), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ws_history_delete_async (WsHistory           *self,
                         gint64               id,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Job *job;

  g_return_if_fail (WS_IS_HISTORY (self));
  job = job_new (JOB_DELETE);
  job->id = id;
  start_job (self, job, ws_history_delete_async, NULL, callback, user_data);
}

void
ws_history_clear_async (WsHistory           *self,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (WS_IS_HISTORY (self));
  start_job (self, job_new (JOB_CLEAR), ws_history_clear_async, NULL, callback, user_data);
}

/* The CSV export (ws_history_export_csv()) written to @file. */
void
ws_history_save_csv_async (WsHistory           *self,
                           GFile               *file,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Job *job;

  g_return_if_fail (WS_IS_HISTORY (self));
  g_return_if_fail (G_IS_FILE (file));
  job = job_new (JOB_SAVE_CSV);
  job->file = g_object_ref (file);
  start_job (self, job, ws_history_save_csv_async, NULL, callback, user_data);
}

/* Result @id's JSON (ws_history_export_json()) written to @file. */
void
ws_history_save_json_async (WsHistory           *self,
                            gint64               id,
                            GFile               *file,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Job *job;

  g_return_if_fail (WS_IS_HISTORY (self));
  g_return_if_fail (G_IS_FILE (file));
  job = job_new (JOB_SAVE_JSON);
  job->id = id;
  job->file = g_object_ref (file);
  start_job (self, job, ws_history_save_json_async, NULL, callback, user_data);
}

/* For delete, clear and the two saves: TRUE, or FALSE and @error. */
gboolean
ws_history_write_finish (WsHistory     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
