/* ws-proc-util.h — spawning the real binary in tests, with bounded waits
 *
 * Shared by test-cli.c and test-signals.c: both judge wirespeed only by what
 * a user sees (exit status, stdout, stderr) and must never hang.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>

#include "config.h"

/* How long a server may take to say where it listens. */
#ifndef LISTEN_TIMEOUT_MS
#define LISTEN_TIMEOUT_MS 10000
#endif
/* How long a signalled server may take to exit. */
#ifndef SERVER_STOP_MS
#define SERVER_STOP_MS 5000
#endif

/* ------------------------------------------------------------------ */
/* Bounded waits on the default main context                          */

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the default main context until *pending drops to zero; FALSE if
 * timeout_ms passed first. */
static gboolean
iterate_until_done (const guint *pending,
                    guint        timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_deadline, &expired);

  while (*pending > 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return *pending == 0;
}

/* ------------------------------------------------------------------ */
/* A running wirespeed                                                 */

typedef struct {
  GDataInputStream *in;
  GString *seen;      /* lines read so far, each with its '\n' */
} Pipe;

typedef struct {
  GSubprocess *proc;
  Pipe out;
  Pipe err;
  char *cmdline;
} Proc;

typedef struct {
  int status;         /* exit status, or minus the signal that killed it */
  gboolean timed_out;
  char *out;
  char *err;
} Outcome;

static void
child_setup (gpointer user_data)
{
  /* No wirespeed outlives a test that aborts on a failed assertion. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
pipe_init (Pipe         *pipe,
           GInputStream *stream)
{
  pipe->in = g_data_input_stream_new (stream);
  pipe->seen = g_string_new (NULL);
}

static void
pipe_clear (Pipe *pipe)
{
  g_clear_object (&pipe->in);
  g_string_free (pipe->seen, TRUE);
}

static Proc *
proc_spawnv (const char * const *args)
{
  const char *binary = g_getenv ("WIRESPEED");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Proc *p = g_new0 (Proc, 1);

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (gpointer) binary);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  p->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  pipe_init (&p->out, g_subprocess_get_stdout_pipe (p->proc));
  pipe_init (&p->err, g_subprocess_get_stderr_pipe (p->proc));
  p->cmdline = g_strjoinv (" ", (char **) argv->pdata + 1);
  return p;
}

/* Appends the rest of a NULL-terminated argument list, and the NULL. */
static void
collect_args (GPtrArray *args,
              va_list    ap)
{
  for (const char *a = va_arg (ap, const char *); a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  g_ptr_array_add (args, NULL);
}

static void
proc_free (Proc *p)
{
  if (g_subprocess_get_identifier (p->proc) != NULL)
    {
      g_subprocess_force_exit (p->proc);
      g_subprocess_wait (p->proc, NULL, NULL);
    }
  pipe_clear (&p->out);
  pipe_clear (&p->err);
  g_object_unref (p->proc);
  g_free (p->cmdline);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proc, proc_free)

static void
outcome_free (Outcome *o)
{
  g_free (o->out);
  g_free (o->err);
  g_free (o);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Outcome, outcome_free)

typedef struct {
  guint pending;
  char *line;
} LineRead;

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *r = user_data;

  r->line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result,
                                                  NULL, NULL);
  r->pending--;
}

/* The next line, or NULL at end of file or after timeout_ms. */
static char *
read_line (Pipe  *pipe,
           guint  timeout_ms)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  LineRead r = { 1, NULL };

  g_data_input_stream_read_line_async (pipe->in, G_PRIORITY_DEFAULT, cancellable,
                                       on_line_read, &r);
  if (!iterate_until_done (&r.pending, timeout_ms))
    {
      g_cancellable_cancel (cancellable);
      g_assert_true (iterate_until_done (&r.pending, 5000));
    }
  if (r.line != NULL)
    g_string_append_printf (pipe->seen, "%s\n", r.line);
  return r.line;
}

/* Reads until a line contains needle; NULL if none did in time. */
static char *
wait_for_line (Proc       *p,
               Pipe       *pipe,
               const char *needle,
               guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      g_autofree char *line = NULL;

      if (left_ms <= 0)
        break;
      line = read_line (pipe, left_ms);
      if (line == NULL)
        break;
      if (strstr (line, needle) != NULL)
        return g_steal_pointer (&line);
    }
  g_printerr ("wirespeed %s: no line with “%s” within %u ms; read so far:\n%s",
              p->cmdline, needle, timeout_ms, pipe->seen->str);
  return NULL;
}

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  guint *pending = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
  (*pending)--;
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  guint *pending = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  (*pending)--;
}

/* What was read line by line, then the rest of the pipe. */
static char *
pipe_text (Pipe          *pipe,
           GOutputStream *rest)
{
  GMemoryOutputStream *mem = G_MEMORY_OUTPUT_STREAM (rest);
  gsize size = g_memory_output_stream_get_data_size (mem);

  if (size > 0)
    g_string_append_len (pipe->seen, g_memory_output_stream_get_data (mem), size);
  return g_strdup (pipe->seen->str);
}

/* Reads the rest of both pipes and waits for the exit, killing the process
 * if that takes more than timeout_ms (the test then fails). */
static Outcome *
proc_finish (Proc  *p,
             guint  timeout_ms)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) err = g_memory_output_stream_new_resizable ();
  Outcome *o = g_new0 (Outcome, 1);
  guint pending = 3;

  g_output_stream_splice_async (out, G_INPUT_STREAM (p->out.in),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, cancellable, on_spliced, &pending);
  g_output_stream_splice_async (err, G_INPUT_STREAM (p->err.in),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, cancellable, on_spliced, &pending);
  g_subprocess_wait_async (p->proc, cancellable, on_exited, &pending);

  if (!iterate_until_done (&pending, timeout_ms))
    {
      o->timed_out = TRUE;
      g_subprocess_force_exit (p->proc);
      if (!iterate_until_done (&pending, 5000))
        {
          g_cancellable_cancel (cancellable);
          g_assert_true (iterate_until_done (&pending, 5000));
        }
    }

  o->out = pipe_text (&p->out, out);
  o->err = pipe_text (&p->err, err);
  if (g_subprocess_get_if_exited (p->proc))
    o->status = g_subprocess_get_exit_status (p->proc);
  else if (g_subprocess_get_if_signaled (p->proc))
    o->status = -g_subprocess_get_term_sig (p->proc);
  else
    o->status = G_MININT;

  /* Test code runs in a child whose stderr is shown only if it fails. */
  g_printerr ("wirespeed %s: status %d\n--- stdout:\n%.4000s--- stderr:\n%s---\n",
              p->cmdline, o->status, o->out, o->err);
  if (o->timed_out)
    g_test_fail_printf ("wirespeed %s was still running after %u ms: killed",
                        p->cmdline, timeout_ms);
  return o;
}

static Proc *spawn_server (guint *port, ...) G_GNUC_NULL_TERMINATED;

/* Starts `wirespeed --server --port 0 ARGS…` and waits until it listens. */
static Proc *
spawn_server (guint *port,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *line = NULL;
  const char *where;
  Proc *p;
  va_list ap;

  g_ptr_array_add (args, "--server");
  g_ptr_array_add (args, "--port");
  g_ptr_array_add (args, "0");
  va_start (ap, port);
  collect_args (args, ap);
  va_end (ap);
  p = proc_spawnv ((const char * const *) args->pdata);

  line = read_line (&p->out, LISTEN_TIMEOUT_MS);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Wirespeed " PACKAGE_VERSION " server listening on port "));
  where = strstr (line, " port ");
  g_assert_nonnull (where);
  *port = (guint) g_ascii_strtoull (where + strlen (" port "), NULL, 10);
  g_assert_cmpuint (*port, >, 0);
  g_assert_cmpuint (*port, <=, 65535);
  return p;
}

/* Signals a server: it must say goodbye and exit 0 within SERVER_STOP_MS. */
static Outcome *
stop_server (Proc *server,
             int   signum)
{
  Outcome *o;

  g_subprocess_send_signal (server->proc, signum);
  o = proc_finish (server, SERVER_STOP_MS);
  g_assert_cmpint (o->status, ==, 0);
  g_assert_nonnull (strstr (o->out, "Exiting Server\n"));
  return o;
}

static char **
split_lines (const char *text)
{
  char **lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  /* Text that ends with a newline: no empty last line. */
  if (n > 0 && *lines[n - 1] == '\0')
    g_clear_pointer (&lines[n - 1], g_free);
  return lines;
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” not found in:\n%s", needle, haystack);
}
