/* test-http-client.c — `wirespeed --client --test HTTP` against real web
 * servers no one here wrote, and against hostile ones
 *
 * python3's http.server and Debian's nginx are started by the test itself,
 * on free loopback ports in temporary folders: their files, logs and
 * curl's view of the same URL are what the client's figures are checked
 * against. tests/http-hostile.py plays the servers that misbehave: each
 * must give exit status 1 and one line on stderr, in bounded time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ws-channel.h"
#include "ws-listen-util.h"
/* Its server helpers are for suites that run our server. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "ws-proc-util.h"
#pragma GCC diagnostic pop

/* How long a client run that should end by itself may take. */
#define RUN_TIMEOUT_MS 60000
/* The client's I/O timeout is 10 s: a stall or silence ends after it. */
#define STALL_BOUND_US (16 * G_USEC_PER_SEC)
#define PYTHON_FILE_SIZE (20 * 1000 * 1000)
/* 1 GB in the decimal units --bytes takes. */
#define NGINX_FILE_SIZE G_GUINT64_CONSTANT (1000000000)

typedef struct {
  GSubprocess *proc;
  char *dir;
  guint16 port;
  guint16 tls_port;        /* nginx: the CA-signed certificate */
  guint16 self_port;       /* nginx: the self-signed one */
} Server;

static void
server_free (Server *s)
{
  if (s->proc != NULL)
    {
      g_subprocess_force_exit (s->proc);
      g_subprocess_wait (s->proc, NULL, NULL);
      g_object_unref (s->proc);
    }
  if (s->dir != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", s->dir);

      g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
      g_free (s->dir);
    }
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static char *
source_path (const char *name)
{
  return g_build_filename (g_getenv ("WS_TEST_SRCDIR"), name, NULL);
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  /* A proxy set in the environment must not see loopback traffic. */
  g_subprocess_launcher_unsetenv (l, "http_proxy");
  g_subprocess_launcher_unsetenv (l, "https_proxy");
  return l;
}

/* A line of @stream that starts with @prefix, within 10 s. */
static char *
read_line_with (GInputStream *stream,
                const char   *prefix)
{
  Pipe pipe;
  char *found = NULL;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  pipe_init (&pipe, stream);
  while (found == NULL && g_get_monotonic_time () < end)
    {
      g_autofree char *line = read_line (&pipe, 10000);

      if (line == NULL)
        break;
      if (g_str_has_prefix (line, prefix))
        found = g_steal_pointer (&line);
    }
  pipe_clear (&pipe);
  g_assert_nonnull (found);
  return found;
}

static void
write_random_file (const char *path,
                   gsize       size)
{
  g_autofree guint32 *data = g_new (guint32, size / 4 + 1);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size / 4 + 1; i++)
    data[i] = g_random_int ();
  g_file_set_contents (path, (const char *) data, size, &error);
  g_assert_no_error (error);
}

/* `python3 -m http.server` serving a temporary folder with f.bin. */
static Server *
python_start (void)
{
  g_autoptr(GSubprocessLauncher) l = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *file = NULL;
  g_autofree char *log = NULL;
  g_autofree char *line = NULL;
  Server *s = g_new0 (Server, 1);

  s->dir = g_dir_make_tmp ("ws-http-python-XXXXXX", &error);
  g_assert_no_error (error);
  file = g_build_filename (s->dir, "f.bin", NULL);
  write_random_file (file, PYTHON_FILE_SIZE);
  log = g_build_filename (s->dir, "requests.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (l, log);
  s->proc = g_subprocess_launcher_spawn (l, &error, "python3", "-u", "-m", "http.server", "0",
                                         "--bind", "127.0.0.1", "--directory", s->dir, NULL);
  g_assert_no_error (error);
  line = read_line_with (g_subprocess_get_stdout_pipe (s->proc), "Serving HTTP on ");
  s->port = g_ascii_strtoull (strstr (line, " port ") + strlen (" port "), NULL, 10);
  g_assert_cmpuint (s->port, >, 0);
  return s;
}

static const char nginx_conf[] =
  "daemon off;\n"
  "master_process off;\n"
  "worker_processes 1;\n"
  "error_log %1$s/error.log;\n"
  "pid %1$s/nginx.pid;\n"
  "events { worker_connections 256; }\n"
  "http {\n"
  "  log_format bytes '$request_method $uri $status $body_bytes_sent $request_length';\n"
  "  access_log %1$s/access.log bytes;\n"
  "  client_body_temp_path %1$s/tmp;\n"
  "  proxy_temp_path %1$s/tmp;\n"
  "  fastcgi_temp_path %1$s/tmp;\n"
  "  uwsgi_temp_path %1$s/tmp;\n"
  "  scgi_temp_path %1$s/tmp;\n"
  "  sendfile on;\n"
  "  root %1$s/www;\n"
  "  server {\n"
  "    listen 127.0.0.1:%2$u;\n"
  /* nginx does not count the body of a request it answers with `return`
   * (it discards it): passed on to the sink, it is read, and counted. */
  "    client_max_body_size 0;\n"
  "    location /upload { proxy_pass http://127.0.0.1:%2$u/sink; }\n"
  "    location /sink { return 200 \"ok\\n\"; }\n"
  "  }\n"
  "  server {\n"
  "    listen 127.0.0.1:%3$u ssl;\n"
  "    ssl_certificate %4$s/tls/server.pem;\n"
  "    ssl_certificate_key %4$s/tls/server-key.pem;\n"
  "  }\n"
  "  server {\n"
  "    listen 127.0.0.1:%5$u ssl;\n"
  "    ssl_certificate %4$s/tls/self.pem;\n"
  "    ssl_certificate_key %4$s/tls/self-key.pem;\n"
  "  }\n"
  "}\n";

static gboolean
nginx_listens (Server *s)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      if (is_listening (s->port) && is_listening (s->tls_port) && is_listening (s->self_port))
        return TRUE;
      /* Another suite took a port first: nginx gave up. */
      if (g_subprocess_get_identifier (s->proc) == NULL)
        return FALSE;
      g_usleep (20000);
    }
  return FALSE;
}

static gboolean
nginx_try_start (Server *s)
{
  g_autoptr(GSubprocessLauncher) l = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                   | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *conf_path = g_build_filename (s->dir, "nginx.conf", NULL);
  g_autofree char *conf = NULL;

  s->port = pick_free_port ();
  s->tls_port = pick_free_port ();
  s->self_port = pick_free_port ();
  conf = g_strdup_printf (nginx_conf, s->dir, s->port, s->tls_port, g_getenv ("WS_TEST_SRCDIR"),
                          s->self_port);
  g_file_set_contents (conf_path, conf, -1, &error);
  g_assert_no_error (error);
  g_clear_object (&s->proc);
  s->proc = g_subprocess_launcher_spawn (l, &error, "/usr/sbin/nginx", "-p", s->dir,
                                         "-c", conf_path, NULL);
  g_assert_no_error (error);
  if (nginx_listens (s))
    return TRUE;
  g_subprocess_force_exit (s->proc);
  g_subprocess_wait (s->proc, NULL, NULL);
  return FALSE;
}

/* Debian's nginx as its own user would run it, on three free ports: plain
 * HTTP, HTTPS with a CA-signed and with a self-signed certificate,
 * serving a sparse 1 GB file. */
static Server *
nginx_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *www = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *big = NULL;
  Server *s = g_new0 (Server, 1);
  int fd;

  s->dir = g_dir_make_tmp ("ws-http-nginx-XXXXXX", &error);
  g_assert_no_error (error);
  www = g_build_filename (s->dir, "www", NULL);
  tmp = g_build_filename (s->dir, "tmp", NULL);
  g_assert_cmpint (g_mkdir (www, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (tmp, 0755), ==, 0);
  big = g_build_filename (www, "big.bin", NULL);
  fd = g_open (big, O_CREAT | O_WRONLY, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, NGINX_FILE_SIZE), ==, 0);
  g_close (fd, NULL);
  for (guint attempt = 0; attempt < 5; attempt++)
    if (nginx_try_start (s))
      return s;
  g_error ("nginx did not start on free ports in 5 attempts");
}

/* ---- Running the client ---- */

static Proc *
spawn_http_va (const char *url,
               va_list     ap)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, "--client");
  g_ptr_array_add (args, "--target");
  g_ptr_array_add (args, (gpointer) url);
  collect_args (args, ap);
  return proc_spawnv ((const char * const *) args->pdata);
}

static Proc *spawn_http (const char *url, ...) G_GNUC_NULL_TERMINATED;

/* Starts `wirespeed --client --target URL ARGS…`. */
static Proc *
spawn_http (const char *url,
            ...)
{
  Proc *p;
  va_list ap;

  va_start (ap, url);
  p = spawn_http_va (url, ap);
  va_end (ap);
  return p;
}

static Outcome *run_http (const char *url, ...) G_GNUC_NULL_TERMINATED;

/* The same, run to its end. */
static Outcome *
run_http (const char *url,
          ...)
{
  g_autoptr(Proc) p = NULL;
  va_list ap;

  va_start (ap, url);
  p = spawn_http_va (url, ap);
  va_end (ap);
  return proc_finish (p, RUN_TIMEOUT_MS);
}

static JsonObject *
parse_result (const Outcome *o,
              JsonNode     **root)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (o->status, ==, 0);
  *root = json_from_string (o->out, &error);
  g_assert_no_error (error);
  return json_node_get_object (*root);
}

static JsonObject *
summary_http (JsonObject *result)
{
  return json_object_get_object_member (json_object_get_object_member (result, "summary"),
                                        "http");
}

static guint64
summary_uint (JsonObject *result,
              const char *key)
{
  return json_object_get_int_member (json_object_get_object_member (result, "summary"), key);
}

/* A failure: status 1 and exactly one "wirespeed: …" line on stderr. */
static void
assert_failure (const Outcome *o,
                const char    *needle)
{
  g_auto(GStrv) lines = split_lines (o->err);

  g_assert_false (o->timed_out);
  g_assert_cmpint (o->status, ==, 1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0], "wirespeed: "));
  if (needle != NULL && strstr (lines[0], needle) == NULL)
    g_error ("stderr “%s” does not contain “%s”", lines[0], needle);
}

/* ---- python3 -m http.server ---- */

static guint
count_lines_with (const char *path,
                  const char *needle)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

static void
test_python_download (void)
{
  g_autoptr(Server) s = python_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/f.bin", s->port);
  g_autofree char *log = g_build_filename (s->dir, "requests.log", NULL);
  g_autoptr(Outcome) o = run_http (url, "--bytes", "20M", "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *r = parse_result (o, &root);
  JsonObject *h = summary_http (r);

  g_assert_cmpstr (json_object_get_string_member (r, "test"), ==, "HTTP");
  g_assert_cmpstr (json_object_get_string_member (r, "direction"), ==, "download");
  g_assert_true (json_object_get_boolean_member (r, "bytes_complete"));
  /* http.server knows no Range: one GET of the whole file. */
  g_assert_cmpuint (summary_uint (r, "download_bytes"), ==, PYTHON_FILE_SIZE);
  g_assert_cmpuint (json_object_get_int_member (h, "body_bytes"), ==, PYTHON_FILE_SIZE);
  g_assert_cmpuint (json_object_get_int_member (h, "status"), ==, 200);
  g_assert_cmpuint (json_object_get_int_member (h, "requests"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (h, "http_version"), ==, "1.0");
  g_assert_cmpstr (json_object_get_string_member (h, "url"), ==, url);
  g_assert_true (json_object_get_null_member (h, "tls_ms"));
  g_assert_cmpfloat (json_object_get_double_member (h, "download_bps"), >, 0);
  /* The server's own log: one GET of the file, and the HEADs of the probe. */
  g_assert_cmpuint (count_lines_with (log, "\"GET /f.bin HTTP/1.1\" 200"), ==, 1);
  g_assert_cmpuint (count_lines_with (log, "\"HEAD /f.bin HTTP/1.1\" 200"), >=, 21);
}

/* Timed, with streams: every GET the client counts is in the server's log. */
/* The sum of N in "sent=N" (or "received=") over @log's lines for @path. */
static guint64
logged_bytes (const char *log,
              const char *path,
              const char *field)
{
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  guint64 sum = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *f = strstr (lines[i], field);

      if (strstr (lines[i], path) != NULL && f != NULL)
        sum += g_ascii_strtoull (f + strlen (field), NULL, 10);
    }
  return sum;
}

/* Both ends ours: the client finds our server's endpoints by itself, and
 * what it counts is what the server logs it sent and received. */
static void
test_our_server (void)
{
  g_autoptr(GSubprocessLauncher) l = launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *dir = g_dir_make_tmp ("ws-http-ours-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "server.log", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) server = NULL;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  const char *line = NULL;
  g_autofree char *url = NULL;
  g_autofree char *log = NULL;
  g_autoptr(Outcome) down = NULL;
  g_autoptr(Outcome) up = NULL;
  g_autoptr(JsonNode) down_root = NULL;
  g_autoptr(JsonNode) up_root = NULL;
  JsonObject *d, *u;

  g_subprocess_launcher_set_stdout_file_path (l, path);
  server = g_subprocess_launcher_spawn (l, &error, g_getenv ("WIRESPEED"), "--server", "--port", "0",
                                        "--verbose", NULL);
  g_assert_no_error (error);
  while (line == NULL && g_get_monotonic_time () < end)
    {
      g_clear_pointer (&log, g_free);
      g_usleep (20000);
      if (g_file_get_contents (path, &log, NULL, NULL))
        line = strstr (log, " listening on port ");
    }
  g_assert_nonnull (line);
  url = g_strdup_printf ("http://127.0.0.1:%" G_GUINT64_FORMAT "/",
                         g_ascii_strtoull (strstr (line, " port ") + strlen (" port "), NULL, 10));
  down = run_http (url, "--bytes", "30M", "--streams", "2", "--json", NULL);
  up = run_http (url, "--bytes", "10M", "--direction", "upload", "--json", NULL);
  d = parse_result (down, &down_root);
  u = parse_result (up, &up_root);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&log, g_free);
  g_assert_true (g_file_get_contents (path, &log, NULL, NULL));
  g_unlink (path);
  g_rmdir (dir);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);

  g_assert_cmpuint (summary_uint (d, "download_bytes"), ==, 30 * 1000 * 1000);
  g_assert_cmpuint (logged_bytes (log, " GET /download", "sent="), ==, 30 * 1000 * 1000);
  g_assert_cmpuint (summary_uint (u, "upload_bytes"), ==, 10 * 1000 * 1000);
  g_assert_cmpuint (logged_bytes (log, " POST /upload", "received="), ==, 10 * 1000 * 1000);
  /* HTTP has no way to say how busy the server is, ours included. */
  g_assert_true (json_object_get_null_member (d, "server_tests"));
  g_assert_true (json_object_get_null_member (u, "server_tests"));
}

static void
test_python_timed (void)
{
  g_autoptr(Server) s = python_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/f.bin", s->port);
  g_autofree char *log = g_build_filename (s->dir, "requests.log", NULL);
  g_autoptr(Outcome) o = run_http (url, "--time", "1", "--interval", "0.5", "--streams", "2",
                                   "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *r = parse_result (o, &root);
  guint64 requests = json_object_get_int_member (summary_http (r), "requests");
  guint64 bytes = summary_uint (r, "download_bytes");

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "stream_results")),
                    ==, 2);
  /* requests counts the last, cut one of each stream too. */
  g_assert_cmpuint (requests, >=, 2);
  g_assert_cmpuint (bytes, >=, (requests - 2) * PYTHON_FILE_SIZE);
  g_assert_cmpuint (bytes, <=, requests * PYTHON_FILE_SIZE);
  g_assert_cmpuint (count_lines_with (log, "\"GET /f.bin HTTP/1.1\" 200"), >=, requests);
  g_assert_cmpuint (count_lines_with (log, "\"GET /f.bin HTTP/1.1\" 200"), <=, requests + 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "intervals")), >=, 2);
}

static void
test_python_upload (void)
{
  g_autoptr(Server) s = python_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/f.bin", s->port);
  g_autoptr(Outcome) o = run_http (url, "--direction", "upload", "--time", "2", NULL);

  assert_failure (o, NULL);
  g_assert_cmpstr (o->err, ==, "wirespeed: this server does not accept uploads (501)\n");
}

/* ---- nginx ---- */

typedef struct {
  guint requests;
  guint64 body_bytes;     /* $body_bytes_sent */
  guint64 request_bytes;  /* $request_length */
} LogSum;

/* nginx's access log, the lines of @method and @path with @status. */
static LogSum
nginx_log (Server     *s,
           const char *method,
           const char *path)
{
  g_autofree char *file = g_build_filename (s->dir, "access.log", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  LogSum sum = { 0 };

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return sum;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", -1);

      if (g_strv_length (f) != 5 || strcmp (f[0], method) != 0 || strcmp (f[1], path) != 0)
        continue;
      sum.requests++;
      sum.body_bytes += g_ascii_strtoull (f[3], NULL, 10);
      sum.request_bytes += g_ascii_strtoull (f[4], NULL, 10);
    }
  return sum;
}

/* nginx logs a request the client cut short when it notices: wait for it. */
static LogSum
nginx_log_settled (Server     *s,
                   const char *method,
                   const char *path,
                   guint       at_least)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  LogSum sum = nginx_log (s, method, path);

  while (sum.requests < at_least && g_get_monotonic_time () < end)
    {
      g_usleep (50000);
      sum = nginx_log (s, method, path);
    }
  return sum;
}

static gdouble
curl_time (GStrv        fields,
           guint        i)
{
  return g_ascii_strtod (fields[i], NULL) * 1000;
}

/* The whole file with --bytes: our bytes are nginx's and the file's, and
 * our phases are shaped as curl's. */
static void
test_nginx_download (void)
{
  g_autoptr(Server) s = nginx_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/big.bin", s->port);
  g_autoptr(Outcome) o = run_http (url, "--bytes", "1G", "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *r = parse_result (o, &root);
  JsonObject *h = summary_http (r);
  LogSum log = nginx_log_settled (s, "GET", "/big.bin", 1);
  g_autofree char *curl_out = NULL;
  g_auto(GStrv) curl = NULL;
  gint status = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *cmd = g_strdup_printf ("curl -s -o /dev/null -w '%%{time_namelookup} "
                                          "%%{time_connect} %%{time_starttransfer} "
                                          "%%{time_total} %%{size_download}' %s", url);
  gdouble ttfb = json_object_get_double_member (h, "ttfb_ms");
  gdouble transfer = json_object_get_double_member (h, "transfer_ms");
  gdouble connect = json_object_get_double_member (h, "connect_ms");
  gdouble elapsed = json_object_get_double_member (r, "elapsed_s");
  gdouble rate = json_object_get_double_member (json_object_get_object_member (r, "summary"),
                                                "download_bps");

  g_assert_cmpuint (summary_uint (r, "download_bytes"), ==, NGINX_FILE_SIZE);
  g_assert_true (json_object_get_boolean_member (r, "bytes_complete"));
  g_assert_cmpuint (json_object_get_int_member (h, "body_bytes"), ==, NGINX_FILE_SIZE);
  /* nginx honours Range: the client asked for exactly its share. */
  g_assert_cmpuint (json_object_get_int_member (h, "status"), ==, 206);
  g_assert_cmpstr (json_object_get_string_member (h, "http_version"), ==, "1.1");
  g_assert_cmpuint (log.requests, ==, 1);
  g_assert_cmpuint (log.body_bytes, ==, NGINX_FILE_SIZE);

  g_assert_true (g_spawn_command_line_sync (cmd, &curl_out, NULL, &status, &error));
  g_assert_no_error (error);
  curl = g_strsplit (curl_out, " ", -1);
  g_assert_cmpuint (g_strv_length (curl), ==, 5);
  g_assert_cmpuint (g_ascii_strtoull (curl[4], NULL, 10), ==, NGINX_FILE_SIZE);
  g_test_message ("curl: connect %.3f ms, first byte %.3f ms, transfer %.1f ms; "
                  "ours: connect %.3f ms, first byte %.3f ms, transfer %.1f ms",
                  curl_time (curl, 1) - curl_time (curl, 0),
                  curl_time (curl, 2) - curl_time (curl, 1),
                  curl_time (curl, 3) - curl_time (curl, 2), connect, ttfb, transfer);
  /* The phases mean what curl's mean: for both, moving a gigabyte is most
   * of the time and connecting and the first byte a small part of it. Two
   * downloads one after the other on a loaded machine can differ in
   * speed by any factor, so each tool is held to its own clock. */
  g_assert_cmpfloat (connect, >=, 0);
  g_assert_cmpfloat (ttfb, >, 0);
  g_assert_cmpfloat (ttfb + connect, <, transfer);
  g_assert_cmpfloat (curl_time (curl, 2), <, curl_time (curl, 3) - curl_time (curl, 2));
  /* The transfer phase lies inside the test and carried its body: the
   * rate over it is at least the test's rate (5 % for the two clocks). */
  g_assert_cmpfloat (transfer, <=, elapsed * 1000 + 5);
  g_assert_cmpfloat (NGINX_FILE_SIZE * 8.0 / (transfer / 1000), >=,
                     rate * 0.95);
}

/* Timed with streams: nginx sent at least what we read, and no more than
 * what the sockets between us hold besides. */
static void
test_nginx_timed (void)
{
  g_autoptr(Server) s = nginx_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/big.bin", s->port);
  g_autoptr(Outcome) o = run_http (url, "--time", "1", "--streams", "2", "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *r = parse_result (o, &root);
  guint64 requests = json_object_get_int_member (summary_http (r), "requests");
  guint64 ours = summary_uint (r, "download_bytes");
  LogSum log = nginx_log_settled (s, "GET", "/big.bin", requests + 2);

  g_assert_cmpuint (ours, >, 0);
  g_assert_cmpuint (log.requests, >=, requests);
  g_assert_cmpuint (log.requests, <=, requests + 2);
  g_assert_cmpuint (log.body_bytes, >=, ours);
  g_assert_cmpuint (log.body_bytes, <=, ours + 2 * 64 * 1024 * 1024);
  g_assert_nonnull (strstr (o->out, "\"rpm\""));
  g_assert_false (json_node_is_null (json_object_get_member (json_object_get_object_member (r, "summary"),
                                                             "loaded_latency_ms")));
}

static void
test_nginx_upload (void)
{
  g_autoptr(Server) s = nginx_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/upload", s->port);
  g_autofree char *file_url = g_strdup_printf ("http://127.0.0.1:%u/big.bin", s->port);
  g_autoptr(Outcome) o = run_http (url, "--direction", "upload", "--bytes", "100M", "--json", NULL);
  g_autoptr(Outcome) refused = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *r = parse_result (o, &root);
  guint64 requests = json_object_get_int_member (summary_http (r), "requests");
  /* The empty POST that asks first, then the upload's. */
  LogSum log = nginx_log_settled (s, "POST", "/upload", requests + 1);

  g_assert_cmpstr (json_object_get_string_member (r, "direction"), ==, "upload");
  g_assert_cmpuint (summary_uint (r, "upload_bytes"), ==, 100 * 1000 * 1000);
  g_assert_true (json_object_get_boolean_member (r, "bytes_complete"));
  g_assert_cmpuint (log.requests, ==, requests + 1);
  /* $request_length: headers and body as nginx read them. */
  g_assert_cmpuint (log.request_bytes, >=, 100 * 1000 * 1000);
  g_assert_cmpuint (log.request_bytes, <=, 100 * 1000 * 1000 + log.requests * 1024);

  /* A static file does not take POST: nginx says 405. */
  refused = run_http (file_url, "--direction", "upload", NULL);
  assert_failure (refused, NULL);
  g_assert_cmpstr (refused->err, ==, "wirespeed: this server does not accept uploads (405)\n");
}

static void
test_nginx_https (void)
{
  g_autoptr(Server) s = nginx_start ();
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u/big.bin", s->tls_port);
  g_autofree char *self_url = g_strdup_printf ("https://localhost:%u/big.bin", s->self_port);
  g_autofree char *ca = source_path ("tls/ca.pem");
  g_autofree char *self = source_path ("tls/self.pem");
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (self, NULL);
  g_autofree char *pin = ws_tls_certificate_fingerprint (cert);
  g_autoptr(Outcome) trusted = run_http (url, "--tls-ca", ca, "--bytes", "100M", "--json", NULL);
  g_autoptr(Outcome) untrusted = run_http (url, "--time", "1", NULL);
  g_autoptr(Outcome) self_signed = run_http (self_url, "--time", "1", NULL);
  g_autoptr(Outcome) pinned = run_http (self_url, "--tls-fingerprint", pin, "--bytes", "10M",
                                        "--json", NULL);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) pinned_root = NULL;
  JsonObject *h = summary_http (parse_result (trusted, &root));

  g_assert_nonnull (json_object_get_string_member (h, "tls_version"));
  g_assert_cmpfloat (json_object_get_double_member (h, "tls_ms"), >, 0);
  g_assert_cmpuint (json_object_get_int_member (h, "body_bytes"), ==, 100 * 1000 * 1000);
  /* The reason, and what to do about it. */
  assert_failure (untrusted, "unknown issuer");
  assert_failure (untrusted, "--tls-ca");
  assert_failure (self_signed, "unknown issuer");
  parse_result (pinned, &pinned_root);
}

/* ---- tests/http-hostile.py ---- */

/* The script in @mode, and the URL of its root. */
static GSubprocess *
start_script (const char  *mode,
              char       **url)
{
  g_autoptr(GSubprocessLauncher) l = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *script = source_path ("http-hostile.py");
  g_autoptr(GError) error = NULL;
  GSubprocess *server = g_subprocess_launcher_spawn (l, &error, "python3", script, mode, NULL);
  g_autofree char *line = NULL;

  g_assert_no_error (error);
  line = read_line_with (g_subprocess_get_stdout_pipe (server), "PORT ");
  *url = g_strdup_printf ("http://127.0.0.1:%s/", line + strlen ("PORT "));
  return server;
}

/* ---- Hostile servers ---- */

typedef struct {
  const char *mode;
  const char *needle;
} Hostile;

static const Hostile hostile_cases[] = {
  { "redirect-loop", "More than 10 redirects" },
  { "status-404", "The server answered 404" },
  { "status-500", "The server answered 500" },
  { "short-body", "The body ended after 1048576 bytes of the 10485760 its Content-Length promised" },
  { "long-body-late", "sent more than the 1048576 bytes its Content-Length promised: the next answer "
    "on the connection did not start as HTTP" },
  { "not-http", "did not answer in HTTP" },
  { "echo", "did not answer in HTTP" },
};

/* The two that end by the client's timeout, side by side to halve the wait. */
static void
test_hostile_timeouts (void)
{
  g_autofree char *stall_root = NULL;
  g_autofree char *silent_root = NULL;
  g_autoptr(GSubprocess) stall = start_script ("stall", &stall_root);
  g_autoptr(GSubprocess) silent = start_script ("silent", &silent_root);
  gint64 start = g_get_monotonic_time ();
  /* Longer than the timeout: the test must end by failing, not by time. */
  g_autoptr(Proc) stalled = spawn_http (stall_root, "--time", "30", NULL);
  g_autoptr(Proc) unanswered = spawn_http (silent_root, "--time", "30", NULL);
  g_autoptr(Outcome) o1 = proc_finish (stalled, RUN_TIMEOUT_MS);
  g_autoptr(Outcome) o2 = proc_finish (unanswered, RUN_TIMEOUT_MS);

  assert_failure (o1, "stopped sending for 10 s in the middle of the body, after 1048576 bytes");
  assert_failure (o2, "did not answer within 10 seconds");
  g_assert_cmpint (g_get_monotonic_time () - start, <, STALL_BOUND_US);
  g_subprocess_force_exit (stall);
  g_subprocess_wait (stall, NULL, NULL);
  g_subprocess_force_exit (silent);
  g_subprocess_wait (silent, NULL, NULL);
}

static void
test_hostile (gconstpointer data)
{
  const Hostile *c = data;
  g_autofree char *root = NULL;
  g_autoptr(GSubprocess) server = start_script (c->mode, &root);
  g_autofree char *url = g_strconcat (root, "x", NULL);
  g_autoptr(Outcome) o = NULL;
  gint64 start;

  start = g_get_monotonic_time ();
  o = run_http (url, "--time", "30", NULL);
  assert_failure (o, c->needle);
  /* None of these waits for a timeout. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 8 * G_USEC_PER_SEC);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* A body longer than its Content-Length, sent at once: libsoup finds the
 * extra bytes on the idle connection and does not reuse it, so the test
 * goes on; what is counted is what each Content-Length promised, never the
 * extra bytes (4 KiB a response here). */
static void
test_hostile_long_body (void)
{
  g_autofree char *root = NULL;
  g_autoptr(GSubprocess) server = start_script ("long-body", &root);
  g_autofree char *url = g_strconcat (root, "x", NULL);
  g_autoptr(Outcome) o = run_http (url, "--bytes", "5M", "--no-latency", "--json", NULL);
  g_autoptr(JsonNode) root_node = NULL;
  JsonObject *summary = parse_result (o, &root_node);

  g_assert_cmpuint (summary_uint (summary, "download_bytes"), ==, 5 * 1000 * 1000);
  g_assert_cmpint (json_object_get_int_member (summary_http (summary), "requests"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (summary_http (summary), "body_bytes"), ==, 1048576);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* A Wirespeed server's root is its browser page: the test uses its
 * endpoints instead (played here by the script, as PROTOCOL.md 9.2 says). */
static void
test_wirespeed_endpoints (void)
{
  g_autofree char *url = NULL;
  g_autoptr(GSubprocess) server = start_script ("wirespeed", &url);
  g_autoptr(Outcome) down = run_http (url, "--bytes", "30M", "--streams", "2", "--json", NULL);
  g_autoptr(Outcome) up = run_http (url, "--bytes", "10M", "--direction", "upload", "--json", NULL);
  g_autoptr(JsonNode) down_root = NULL;
  g_autoptr(JsonNode) up_root = NULL;
  JsonObject *d = parse_result (down, &down_root);
  JsonObject *u = parse_result (up, &up_root);

  g_assert_true (g_str_has_suffix (down->err, "is a Wirespeed server: testing with its "
                                   "/download, /upload and /ping\n"));
  /* One line: its first newline is its last. */
  g_assert_true (strchr (down->err, '\n') == strrchr (down->err, '\n'));
  g_assert_cmpuint (summary_uint (d, "download_bytes"), ==, 30 * 1000 * 1000);
  g_assert_true (json_object_get_boolean_member (d, "bytes_complete"));
  g_assert_nonnull (strstr (json_object_get_string_member (summary_http (d), "url"),
                            "/download?bytes="));
  g_assert_cmpuint (json_object_get_int_member (summary_http (d), "status"), ==, 206);
  g_assert_cmpuint (summary_uint (u, "upload_bytes"), ==, 10 * 1000 * 1000);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (summary_http (u), "url"),
                                   "/upload"));
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* A redirect is followed, said once, and the load asks where it led; a
 * file smaller than --bytes is asked for again (no Range here). */
static void
test_redirect (void)
{
  g_autofree char *root = NULL;
  g_autoptr(GSubprocess) server = start_script ("wirespeed", &root);
  g_autofree char *url = g_strconcat (root, "moved", NULL);
  g_autofree char *to = g_strconcat (root, "download?bytes=5000000", NULL);
  g_autofree char *notice = g_strdup_printf ("wirespeed: %s redirects to %s\n", url, to);
  g_autoptr(Outcome) o = run_http (url, "--bytes", "12M", "--json", NULL);
  g_autoptr(JsonNode) root_node = NULL;
  JsonObject *r = parse_result (o, &root_node);

  g_assert_cmpstr (o->err, ==, notice);
  g_assert_cmpstr (json_object_get_string_member (summary_http (r), "url"), ==, to);
  g_assert_cmpuint (summary_uint (r, "download_bytes"), ==, 12 * 1000 * 1000);
  g_assert_true (json_object_get_boolean_member (r, "bytes_complete"));
  /* 5 MB, 5 MB, then 2 MB of the third. */
  g_assert_cmpuint (json_object_get_int_member (summary_http (r), "requests"), ==, 3);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* A URL target means --test HTTP; the flags that mean nothing there say so. */
static void
test_usage (void)
{
  g_autoptr(Outcome) port = run_http ("http://127.0.0.1:1/", "--port", "80", NULL);
  g_autoptr(Outcome) bidir = run_http ("http://127.0.0.1:1/", "--bidir", NULL);
  g_autoptr(Outcome) tls = run_http ("http://127.0.0.1:1/", "--tls", NULL);
  g_autoptr(Outcome) no_url = run_http ("localhost", "--test", "HTTP", NULL);
  g_autoptr(Outcome) refused = run_http ("http://127.0.0.1:1/", NULL);

  g_assert_cmpint (port->status, ==, 2);
  g_assert_nonnull (strstr (port->err, "put the port in the URL"));
  g_assert_cmpint (bidir->status, ==, 2);
  g_assert_cmpint (tls->status, ==, 2);
  g_assert_nonnull (strstr (tls->err, "https://"));
  g_assert_cmpint (no_url->status, ==, 2);
  /* Nothing listens on port 1: one line, at once. */
  assert_failure (refused, "Connection refused");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http/usage", test_usage);
  g_test_add_func ("/http/python/download", test_python_download);
  g_test_add_func ("/http/python/timed", test_python_timed);
  g_test_add_func ("/http/python/upload", test_python_upload);
  g_test_add_func ("/http/nginx/download", test_nginx_download);
  g_test_add_func ("/http/nginx/timed", test_nginx_timed);
  g_test_add_func ("/http/nginx/upload", test_nginx_upload);
  g_test_add_func ("/http/nginx/https", test_nginx_https);
  g_test_add_func ("/http/wirespeed-endpoints", test_wirespeed_endpoints);
  g_test_add_func ("/http/our-server", test_our_server);
  g_test_add_func ("/http/redirect", test_redirect);
  for (gsize i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/http/hostile/%s", hostile_cases[i].mode);

      g_test_add_data_func (path, &hostile_cases[i], test_hostile);
    }
  g_test_add_func ("/http/hostile/stall-and-silence", test_hostile_timeouts);
  g_test_add_func ("/http/hostile/long-body", test_hostile_long_body);
  return g_test_run ();
}
