/* test-http-server.c — HTTP on the server's port (docs/PROTOCOL.md section 9)
 *
 * A real WsServer on loopback, real clients: curl (HTTP and HTTPS with
 * the test CA), raw sockets for what curl will not send (slow, huge,
 * lying, vanishing), and our own client for a real test on the same port
 * meanwhile. Bytes are checked against an oracle of the download pattern
 * written here from the spec, and the server's own log lines (one per
 * request) against what the clients moved.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-acl.h"
#include "ws-http.h"
#include "ws-test-util.h"
#include "ws-time.h"

#define PATTERN_SIZE (1024 * 1024)

/* ---- The server's log, captured ---- */

static GMutex log_lock;
static GPtrArray *log_lines;

static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && (level & G_LOG_LEVEL_INFO))
      {
        g_mutex_lock (&log_lock);
        g_ptr_array_add (log_lines, g_strdup (fields[i].value));
        g_mutex_unlock (&log_lock);
        return G_LOG_WRITER_HANDLED;
      }
  return g_log_writer_default (level, fields, n_fields, data);
}

/* The one log line with @needle, waiting up to 5 s for it; NULL if none. */
static char *
find_log_line (const char *needle)
{
  gint64 end = ws_now_ns () + 5 * WS_NSEC_PER_SEC;

  do
    {
      g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&log_lock);

      for (guint i = 0; i < log_lines->len; i++)
        if (strstr (g_ptr_array_index (log_lines, i), needle) != NULL)
          return g_strdup (g_ptr_array_index (log_lines, i));
      g_clear_pointer (&locker, g_mutex_locker_free);
      g_usleep (10000);
    }
  while (ws_now_ns () < end);
  return NULL;
}

/* ---- The download pattern, from the spec ---- */

static const guint8 *
pattern (void)
{
  static guint8 p[PATTERN_SIZE];
  static gboolean done;
  guint64 x = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);

  if (done)
    return p;
  for (gsize i = 0; i < PATTERN_SIZE; i += 8)
    {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      guint64 v = x * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d);
      memcpy (p + i, &v, 8);
    }
  done = TRUE;
  return p;
}

static void
assert_pattern (const guint8 *data,
                gsize         len,
                guint64       offset)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] != pattern ()[(offset + i) % PATTERN_SIZE])
      g_error ("byte %" G_GUINT64_FORMAT " differs from the pattern", offset + i);
}

/* ---- Servers ---- */

typedef struct {
  guint max_clients;
  guint idle_timeout_s;
  guint max_duration_s;
  guint64 max_bitrate;
  const char *certificate;   /* tests/tls/NAME.pem */
  gboolean allow_plaintext;
  const char *deny;          /* a CIDR the access list denies */
  guint max_per_address;
  const char *bind;          /* default 127.0.0.1 */
} ServerOptions;

static char *
tls_fixture (const char *name)
{
  return g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", name, NULL);
}

static WsServer *
server_new (const ServerOptions *o)
{
  WsServer *server = ws_server_new ();
  g_autoptr(GError) error = NULL;

  /* Each test reads only its own server's lines. */
  g_mutex_lock (&log_lock);
  g_ptr_array_set_size (log_lines, 0);
  g_mutex_unlock (&log_lock);
  ws_server_set_port (server, 0);
  ws_server_set_bind_address (server, o->bind ? o->bind : "127.0.0.1");
  ws_server_set_max_per_address (server, o->max_per_address);
  ws_server_set_max_clients (server, o->max_clients ? o->max_clients : 8);
  ws_server_set_idle_timeout (server, o->idle_timeout_s ? o->idle_timeout_s : 10);
  ws_server_set_max_duration (server, o->max_duration_s);
  ws_server_set_max_bitrate (server, o->max_bitrate);
  if (o->deny != NULL)
    {
      g_autoptr(WsAcl) acl = ws_acl_new ();

      g_assert_true (ws_acl_deny (acl, o->deny, NULL));
      ws_server_set_acl (server, acl);
    }
  if (o->certificate != NULL)
    {
      g_autofree char *cert_name = g_strdup_printf ("%s.pem", o->certificate);
      g_autofree char *key_name = g_strdup_printf ("%s-key.pem", o->certificate);
      g_autofree char *cert = tls_fixture (cert_name);
      g_autofree char *key = tls_fixture (key_name);
      g_autoptr(GTlsCertificate) c = g_tls_certificate_new_from_files (cert, key, &error);

      g_assert_no_error (error);
      ws_server_set_tls (server, c, o->allow_plaintext);
    }
  g_assert_true (ws_server_start (server, &error));
  g_assert_no_error (error);
  return server;
}

/* ---- Raw clients ---- */

static int
connect_to (WsServer *server)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (ws_server_get_port (server)),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct timeval tv = { 10, 0 };

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static void
send_text (int         fd,
           const char *text)
{
  gsize len = strlen (text);

  g_assert_cmpint (send (fd, text, len, MSG_NOSIGNAL), ==, (gssize) len);
}

/* Everything until the server closes (10 s at most). */
static GByteArray *
read_all (int fd)
{
  GByteArray *all = g_byte_array_new ();
  guint8 buf[65536];
  ssize_t n;

  while ((n = recv (fd, buf, sizeof buf, 0)) > 0)
    g_byte_array_append (all, buf, n);
  g_assert_cmpint (n, ==, 0);
  return all;
}

typedef struct {
  guint status;
  char *head;           /* status line and headers, lowercased */
  GByteArray *raw;
  const guint8 *body;
  gsize body_len;
} Response;

static void
response_clear (Response *r)
{
  g_free (r->head);
  g_byte_array_unref (r->raw);
}

/* One request on a new connection, read to the server's close. */
static void
request (WsServer   *server,
         const char *text,
         Response   *r)
{
  int fd = connect_to (server);
  const guint8 *end;

  send_text (fd, text);
  r->raw = read_all (fd);
  close (fd);
  end = memmem (r->raw->data, r->raw->len, "\r\n\r\n", 4);
  g_assert_nonnull (end);
  r->head = g_ascii_strdown ((const char *) r->raw->data, end - r->raw->data);
  r->body = end + 4;
  r->body_len = r->raw->len - (r->body - r->raw->data);
  g_assert_true (sscanf (r->head, "http/1.%*c %u", &r->status) == 1);
}

static void
assert_header (const Response *r,
               const char     *line)
{
  g_autofree char *want = g_strdup_printf ("\r\n%s\r\n", line);
  g_autofree char *head = g_strconcat (r->head, "\r\n", NULL);

  if (strstr (head, want) == NULL)
    g_error ("no “%s” in:\n%s", line, r->head);
}

static void
get (WsServer   *server,
     const char *target,
     const char *extra_headers,
     Response   *r)
{
  g_autofree char *text = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
                                           target, extra_headers ? extra_headers : "");

  request (server, text, r);
}

/* ---- curl ---- */

static char *
curl (int         *exit_status,
      const char  *first,
      ...) G_GNUC_NULL_TERMINATED;

static char *
curl (int        *exit_status,
      const char *first,
      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  va_list ap;
  int wait_status;

  g_ptr_array_add (argv, (char *) "curl");
  g_ptr_array_add (argv, (char *) "-sS");
  g_ptr_array_add (argv, (char *) "--max-time");
  g_ptr_array_add (argv, (char *) "30");
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &wait_status, &error));
  g_assert_no_error (error);
  *exit_status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  if (*exit_status != 0)
    g_test_message ("curl: %s", err);
  return out;
}

static char *
url (WsServer   *server,
     const char *scheme,
     const char *host,
     const char *target)
{
  return g_strdup_printf ("%s://%s:%u%s", scheme, host, ws_server_get_port (server), target);
}

/* ---- The pure pieces ---- */

static void
test_sniff (void)
{
  static const struct { const char *bytes; WsHttpSniff verdict; } cases[] = {
    { "GET / HTTP/1.1", WS_HTTP_SNIFF_HTTP },
    { "HEAD ", WS_HTTP_SNIFF_HTTP },
    { "OPTIONS *", WS_HTTP_SNIFF_HTTP },
    { "CONNECT h:1", WS_HTTP_SNIFF_HTTP },
    { "PUT", WS_HTTP_SNIFF_MORE },
    { "P", WS_HTTP_SNIFF_MORE },
    { "", WS_HTTP_SNIFF_MORE },
    { "GETS /", WS_HTTP_SNIFF_OTHER },
    { "get /", WS_HTTP_SNIFF_OTHER },
    { "SSH-2.0", WS_HTTP_SNIFF_OTHER },
    { "GET\t/", WS_HTTP_SNIFF_OTHER },
    { "OPTIONSX", WS_HTTP_SNIFF_OTHER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (ws_http_sniff ((const guint8 *) cases[i].bytes, strlen (cases[i].bytes)), ==,
                     cases[i].verdict);
}

static void
test_query (void)
{
  guint64 v = 7;

  g_assert_cmpint (ws_http_query_u64 (NULL, "bytes", 10, &v), ==, WS_HTTP_PARAM_ABSENT);
  g_assert_cmpint (ws_http_query_u64 ("r=0.5&bytes=10", "bytes", 10, &v), ==, WS_HTTP_PARAM_OK);
  g_assert_cmpuint (v, ==, 10);
  g_assert_cmpint (ws_http_query_u64 ("bytes=11", "bytes", 10, &v), ==, WS_HTTP_PARAM_BAD);
  g_assert_cmpint (ws_http_query_u64 ("bytes=", "bytes", 10, &v), ==, WS_HTTP_PARAM_BAD);
  g_assert_cmpint (ws_http_query_u64 ("bytes=1e3", "bytes", G_MAXUINT64, &v), ==, WS_HTTP_PARAM_BAD);
  g_assert_cmpint (ws_http_query_u64 ("bytes=-1", "bytes", G_MAXUINT64, &v), ==, WS_HTTP_PARAM_BAD);
  g_assert_cmpint (ws_http_query_u64 ("xbytes=5&bytesx=5", "bytes", 10, &v), ==, WS_HTTP_PARAM_ABSENT);
  g_assert_cmpint (ws_http_query_u64 ("bytes=99999999999999999999999", "bytes", G_MAXUINT64 - 1, &v),
                   ==, WS_HTTP_PARAM_BAD);
  g_assert_cmpint (ws_http_query_u64 ("bytes=18446744073709551615", "bytes", G_MAXUINT64, &v),
                   ==, WS_HTTP_PARAM_OK);
  g_assert_cmpuint (v, ==, G_MAXUINT64);
  /* The first one counts. */
  g_assert_cmpint (ws_http_query_u64 ("bytes=3&bytes=x", "bytes", 10, &v), ==, WS_HTTP_PARAM_OK);
  g_assert_cmpuint (v, ==, 3);
}

static void
test_range (void)
{
  static const struct {
    const char *header;
    guint64 size;
    WsHttpRange want;
    guint64 first, last;
  } cases[] = {
    { NULL, 100, WS_HTTP_RANGE_NONE, 0, 0 },
    { "bytes=0-9", 100, WS_HTTP_RANGE_OK, 0, 9 },
    { "BYTES = 10-", 100, WS_HTTP_RANGE_OK, 10, 99 },
    { "bytes=-10", 100, WS_HTTP_RANGE_OK, 90, 99 },
    { "bytes=-1000", 100, WS_HTTP_RANGE_OK, 0, 99 },
    { "bytes=90-1000", 100, WS_HTTP_RANGE_OK, 90, 99 },
    { "bytes=99-99", 100, WS_HTTP_RANGE_OK, 99, 99 },
    { "bytes=100-", 100, WS_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=-0", 100, WS_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-", 0, WS_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=99999999999999999999999-", 100, WS_HTTP_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-1,5-6", 100, WS_HTTP_RANGE_MULTIPLE, 0, 0 },
    { "bytes=9-1", 100, WS_HTTP_RANGE_NONE, 0, 0 },
    { "bytes=x-1", 100, WS_HTTP_RANGE_NONE, 0, 0 },
    { "bytes=-", 100, WS_HTTP_RANGE_NONE, 0, 0 },
    { "items=0-1", 100, WS_HTTP_RANGE_NONE, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 first = 0, last = 0;

      g_assert_cmpint (ws_http_parse_range (cases[i].header, cases[i].size, &first, &last), ==,
                       cases[i].want);
      if (cases[i].want == WS_HTTP_RANGE_OK)
        {
          g_assert_cmpuint (first, ==, cases[i].first);
          g_assert_cmpuint (last, ==, cases[i].last);
        }
    }
}

static void
test_names (void)
{
  g_autofree char *escaped = ws_http_log_escape ("/a b\n%\x7f\xc3\xa9", 100);
  g_autofree char *cut = ws_http_log_escape ("abcdef", 3);

  g_assert_true (ws_http_static_name_is_valid ("speedtest.js"));
  g_assert_true (ws_http_static_name_is_valid ("de.json"));
  g_assert_false (ws_http_static_name_is_valid (""));
  g_assert_false (ws_http_static_name_is_valid (".hidden"));
  g_assert_false (ws_http_static_name_is_valid ("../x"));
  g_assert_false (ws_http_static_name_is_valid ("a/b"));
  g_assert_cmpstr (ws_http_content_type ("index.html"), ==, "text/html; charset=utf-8");
  g_assert_cmpstr (ws_http_content_type ("a.js"), ==, "text/javascript; charset=utf-8");
  g_assert_cmpstr (ws_http_content_type ("a.css"), ==, "text/css; charset=utf-8");
  g_assert_cmpstr (ws_http_content_type ("a.json"), ==, "application/json");
  g_assert_cmpstr (ws_http_content_type ("a.svg"), ==, "image/svg+xml");
  g_assert_cmpstr (escaped, ==, "/a%20b%0A%25%7F%C3%A9");
  g_assert_cmpstr (cut, ==, "abc...");
}


/* ---- Endpoints ---- */

static void
assert_common_headers (const Response *r)
{
  assert_header (r, "server: wirespeed/" PACKAGE_VERSION);
  assert_header (r, "cache-control: no-store");
  assert_header (r, "access-control-allow-origin: *");
  assert_header (r, "timing-allow-origin: *");
}

/* curl's bytes are the pattern, its count the server's log line's. */
static void
test_download (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *target = url (server, "http", "127.0.0.1", "/download?bytes=3000001");
  g_autofree char *dir = g_dir_make_tmp ("ws-http-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "body", NULL);
  g_autofree char *out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  Response r;
  int status;

  out = curl (&status, "-o", file, "-w", "%{http_code} %{size_download}", target, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "200 3000001");
  g_assert_true (g_file_get_contents (file, &data, &len, NULL));
  g_assert_cmpuint (len, ==, 3000001);
  assert_pattern ((const guint8 *) data, len, 0);
  line = find_log_line ("HTTP GET /download?bytes=3000001 200 sent=3000001 received=0 ms=");
  g_assert_nonnull (line);
  g_unlink (file);
  g_rmdir (dir);

  get (server, "/download?bytes=10", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_common_headers (&r);
  assert_header (&r, "content-type: application/octet-stream");
  assert_header (&r, "content-length: 10");
  assert_header (&r, "accept-ranges: bytes");
  g_assert_cmpuint (r.body_len, ==, 10);
  assert_pattern (r.body, 10, 0);
  response_clear (&r);

  /* The largest, announced and not sent; and nothing at all. */
  request (server, "HEAD /download?bytes=100000000000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_header (&r, "content-length: 100000000000");
  g_assert_cmpuint (r.body_len, ==, 0);
  response_clear (&r);
  /* HTTP/1.0, without Host. */
  request (server, "GET /download?bytes=7 HTTP/1.0\r\n\r\n", &r);
  g_assert_true (g_str_has_prefix (r.head, "http/1.0 200"));
  g_assert_cmpuint (r.body_len, ==, 7);
  assert_pattern (r.body, 7, 0);
  response_clear (&r);
  get (server, "/download?bytes=0", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_header (&r, "content-length: 0");
  g_assert_cmpuint (r.body_len, ==, 0);
  response_clear (&r);
  get (server, "/download", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpuint (r.body_len, ==, 100000000);
  response_clear (&r);
}

static void
test_range_requests (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  static const struct { const char *range; guint status; guint64 first; gsize len; const char *content_range; } cases[] = {
    { "Range: bytes=1048570-1048589\r\n", 206, 1048570, 20, "content-range: bytes 1048570-1048589/2000000" },
    { "Range: bytes=1999990-\r\n", 206, 1999990, 10, "content-range: bytes 1999990-1999999/2000000" },
    { "Range: bytes=-5\r\n", 206, 1999995, 5, "content-range: bytes 1999995-1999999/2000000" },
    { "Range: bytes=2000000-\r\n", 416, 0, 0, "content-range: bytes */2000000" },
    { "Range: bytes=0-1, 4-5\r\n", 416, 0, 0, "content-range: bytes */2000000" },
    { "Range: pages=1-2\r\n", 200, 0, 2000000, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Response r;

      get (server, "/download?bytes=2000000", cases[i].range, &r);
      g_assert_cmpuint (r.status, ==, cases[i].status);
      if (cases[i].content_range)
        assert_header (&r, cases[i].content_range);
      if (cases[i].status != 416)
        {
          g_assert_cmpuint (r.body_len, ==, cases[i].len);
          assert_pattern (r.body, r.body_len, cases[i].first);
        }
      response_clear (&r);
    }
}

/* POST and PUT, by Content-Length and chunked: counted, then discarded. */
static void
test_upload (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *target = url (server, "http", "127.0.0.1", "/upload");
  g_autofree char *dir = g_dir_make_tmp ("ws-http-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "body", NULL);
  g_autofree char *body = g_malloc (5000003);
  const char *variants[][4] = {
    { "-X", "POST", "-H", "Content-Type: application/octet-stream" },
    { "-X", "PUT", "-H", "Content-Type: application/octet-stream" },
    { "-X", "POST", "-H", "Transfer-Encoding: chunked" },
  };

  memset (body, 'u', 5000003);
  g_assert_true (g_file_set_contents (file, body, 5000003, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *data = g_strconcat ("@", file, NULL);
      g_autofree char *out = NULL;
      g_autofree char *line = NULL;
      g_autofree char *needle = g_strdup_printf ("HTTP %s /upload 200 sent=", variants[i][1]);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o2;
      int status;

      g_mutex_lock (&log_lock);
      g_ptr_array_set_size (log_lines, 0);
      g_mutex_unlock (&log_lock);
      out = curl (&status, variants[i][0], variants[i][1], variants[i][2], variants[i][3],
                  "--data-binary", data, target, NULL);
      g_assert_cmpint (status, ==, 0);
      g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
      o2 = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpint (json_object_get_int_member (o2, "bytes"), ==, 5000003);
      g_assert_cmpint (json_object_get_int_member (o2, "elapsed_ms"), >=, 0);
      line = find_log_line (needle);
      g_assert_nonnull (line);
      g_assert_nonnull (strstr (line, " received=5000003 ms="));
    }
  g_unlink (file);
  g_rmdir (dir);
}

static void
test_small_answers (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj;
  Response r;

  get (server, "/ping", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_header (&r, "content-length: 0");
  assert_common_headers (&r);
  response_clear (&r);

  get (server, "/ip", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  assert_header (&r, "content-type: application/json");
  g_assert_true (json_parser_load_from_data (parser, (const char *) r.body, r.body_len, NULL));
  obj = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (obj, "address"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (obj, "family"), ==, "ipv4");
  g_assert_cmpint (json_object_get_int_member (obj, "port"), >, 0);
  response_clear (&r);

  get (server, "/backend/getIP.php?r=0.3", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpmem (r.body, r.body_len, "{\"processedString\": \"127.0.0.1 - localhost IPv4 access\", \"rawIspInfo\": \"\"}", 74);
  response_clear (&r);

  request (server, "POST /backend/empty.php?r=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc", &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpuint (r.body_len, ==, 0);
  response_clear (&r);

  /* LibreSpeed's sizes: MiB, 4 unless a positive number, 1024 at most. */
  get (server, "/backend/garbage.php?r=0.1&ckSize=2", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpuint (r.body_len, ==, 2 * 1048576);
  assert_header (&r, "content-disposition: attachment; filename=random.dat");
  response_clear (&r);
  request (server, "HEAD /backend/garbage.php?ckSize=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
  assert_header (&r, "content-length: 4194304");
  response_clear (&r);
  request (server, "HEAD /backend/garbage.php?ckSize=99999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
  assert_header (&r, "content-length: 1073741824");
  response_clear (&r);
  request (server, "HEAD /nq/large HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
  assert_header (&r, "content-length: 8000000000");
  response_clear (&r);
  get (server, "/nq/small", NULL, &r);
  g_assert_cmpuint (r.body_len, ==, 1);
  response_clear (&r);
}

static void
test_nq_config (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  const char *paths[] = { "/.well-known/nq", "/config" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *want = g_strdup_printf ("http://speed.example:%u/nq/large",
                                               ws_server_get_port (server));
      g_autofree char *host = g_strdup_printf ("Host: speed.example:%u", ws_server_get_port (server));
      g_autofree char *text = g_strdup_printf ("GET %s HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n",
                                               paths[i], host);
      JsonObject *obj, *urls;
      Response r;

      request (server, text, &r);
      g_assert_cmpuint (r.status, ==, 200);
      g_assert_true (json_parser_load_from_data (parser, (const char *) r.body, r.body_len, NULL));
      obj = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpint (json_object_get_int_member (obj, "version"), ==, 1);
      g_assert_cmpstr (json_object_get_string_member (obj, "test_endpoint"), ==, "speed.example");
      urls = json_object_get_object_member (obj, "urls");
      g_assert_cmpstr (json_object_get_string_member (urls, "large_https_download_url"), ==, want);
      g_assert_true (g_str_has_suffix (json_object_get_string_member (urls, "small_https_download_url"),
                                       "/nq/small"));
      g_assert_true (g_str_has_suffix (json_object_get_string_member (urls, "https_upload_url"),
                                       "/nq/upload"));
      g_assert_cmpstr (json_object_get_string_member (urls, "large_download_url"), ==, want);
      response_clear (&r);
    }
}

static void
test_errors (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  Response r;

  get (server, "/download?bytes=100000000001", NULL, &r);
  g_assert_cmpuint (r.status, ==, 400);
  response_clear (&r);
  get (server, "/download?bytes=12ab", NULL, &r);
  g_assert_cmpuint (r.status, ==, 400);
  response_clear (&r);
  /* Too big to take: refused before the body, which is never sent. */
  request (server, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000001\r\n"
                   "Expect: 100-continue\r\n\r\n", &r);
  g_assert_cmpuint (r.status, ==, 413);
  response_clear (&r);
  get (server, "/nothing-here", NULL, &r);
  g_assert_cmpuint (r.status, ==, 404);
  assert_common_headers (&r);
  response_clear (&r);
  get (server, "/upload", NULL, &r);
  g_assert_cmpuint (r.status, ==, 405);
  assert_header (&r, "allow: post, put, options");
  response_clear (&r);
  request (server, "DELETE /download HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
  g_assert_cmpuint (r.status, ==, 405);
  assert_header (&r, "allow: get, head, options");
  response_clear (&r);
  request (server, "OPTIONS /upload HTTP/1.1\r\nHost: x\r\nOrigin: http://elsewhere\r\nConnection: close\r\n\r\n", &r);
  g_assert_cmpuint (r.status, ==, 204);
  assert_header (&r, "access-control-allow-methods: get, head, post, put, options");
  assert_header (&r, "access-control-allow-headers: *");
  response_clear (&r);
}

static void
test_static (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  static const struct { const char *target; const char *file; const char *type; } cases[] = {
    { "/", "index.html", "text/html; charset=utf-8" },
    { "/static/index.html", "index.html", "text/html; charset=utf-8" },
    { "/static/speedtest.js", "speedtest.js", "text/javascript; charset=utf-8" },
    { "/static/speedtest.css", "speedtest.css", "text/css; charset=utf-8" },
  };
  const char *missing[] = { "/static/nope.js", "/static/", "/static/%2e%2e%2fmeson.build",
                            "/static/.hidden" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "..", "data", "web",
                                                cases[i].file, NULL);
      g_autofree char *want = NULL;
      g_autofree char *type = g_strdup_printf ("content-type: %s", cases[i].type);
      gsize len;
      Response r;

      g_assert_true (g_file_get_contents (path, &want, &len, NULL));
      get (server, cases[i].target, NULL, &r);
      g_assert_cmpuint (r.status, ==, 200);
      assert_header (&r, type);
      g_assert_cmpmem (r.body, r.body_len, want, len);
      response_clear (&r);
    }
  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      Response r;

      get (server, missing[i], NULL, &r);
      g_assert_cmpuint (r.status, >=, 400);
      g_assert_cmpuint (r.status, <, 500);
      response_clear (&r);
    }
}

/* Several requests on one connection, the second pipelined. */
static void
test_keepalive (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  int fd = connect_to (server);
  g_autoptr(GByteArray) all = NULL;
  g_autofree char *text = NULL;

  send_text (fd, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  g_usleep (100000);
  send_text (fd, "GET /download?bytes=5 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  all = read_all (fd);
  close (fd);
  text = g_strndup ((const char *) all->data, all->len);
  g_assert_nonnull (strstr (text, "HTTP/1.1 200 OK"));
  g_assert_nonnull (strstr (text, "Content-Length: 5\r\n"));
  g_assert_nonnull (strstr (text, "\"family\": \"ipv4\""));
  g_assert_cmpuint (ws_server_get_n_sessions (server), <=, 1);
  ws_test_wait_idle (server, 5);
}

/* ---- HTTPS ---- */

/* curl over TLS gets HTTP/1.1 by ALPN; plaintext HTTP is refused; our
 * own TLS client, which offers no ALPN, still runs a test on the port. */
static void
test_https (void)
{
  ServerOptions o = { .certificate = "server" };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *ca = tls_fixture ("ca.pem");
  g_autofree char *target = url (server, "https", "localhost", "/download?bytes=2000000");
  g_autofree char *upload = url (server, "https", "localhost", "/upload");
  g_autofree char *out = NULL;
  g_autofree char *up = NULL;
  WsTestConfig config;
  WsTestRun run = { 0 };
  Response r;
  int status;

  out = curl (&status, "--cacert", ca, "-o", "/dev/null",
              "-w", "%{http_code} %{size_download} %{http_version} %{scheme}", target, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "200 2000000 1.1 HTTPS");
  up = curl (&status, "--cacert", ca, "--data-binary", "0123456789", upload, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (up, "\"bytes\": 10,"));

  get (server, "/ping", NULL, &r);
  g_assert_cmpuint (r.status, ==, 403);
  g_assert_cmpmem (r.body, r.body_len, "This server requires HTTPS\n", 27);
  response_clear (&r);

  ws_test_config_for (&config, server, "localhost", 1);
  config.tls = TRUE;
  config.tls_ca_file = g_strdup (ca);
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.result);
  g_assert_cmpuint (run.result->upload.receiver_bytes, >, 0);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

/* A peer the access list denies is told so in HTTP, in TLS or not. */
static void
test_denied (void)
{
  ServerOptions o = { .certificate = "server", .allow_plaintext = TRUE, .deny = "127.0.0.1/32" };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *ca = tls_fixture ("ca.pem");
  g_autofree char *target = url (server, "https", "localhost", "/download?bytes=10");
  g_autofree char *out = NULL;
  Response r;
  int status;

  out = curl (&status, "--cacert", ca, "-w", " %{http_code}", target, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "Access denied\n 403");
  get (server, "/download?bytes=10", NULL, &r);
  g_assert_cmpuint (r.status, ==, 403);
  g_assert_cmpmem (r.body, r.body_len, "Access denied\n", 14);
  response_clear (&r);
}

/* ---- Limits ---- */

/* Waits until @server runs @n sessions, 10 s at most. */
static void
wait_sessions (WsServer *server,
               guint     n)
{
  gint64 end = ws_now_ns () + 10 * WS_NSEC_PER_SEC;

  while (ws_server_get_n_sessions (server) != n)
    {
      g_assert_cmpint (ws_now_ns (), <, end);
      g_usleep (5000);
    }
}

/* Reads one response's head on a connection kept open. */
static char *
read_head (int fd)
{
  GString *head = g_string_new (NULL);
  char c;

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      g_assert_cmpint (recv (fd, &c, 1, 0), ==, 1);
      g_string_append_c (head, c);
    }
  return g_string_free (head, FALSE);
}

/* An HTTP connection holds a slot while open, kept alive or not: the
 * next one gets 503 until it closes. */
static void
test_busy (void)
{
  ServerOptions o = { .max_clients = 2 };
  g_autoptr(WsServer) server = server_new (&o);
  int held[2], flood[40];
  Response r;

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_autofree char *head = NULL;

      held[i] = connect_to (server);
      send_text (held[i], "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
      head = read_head (held[i]);
      g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200"));
    }
  g_assert_cmpuint (ws_server_get_n_sessions (server), ==, 2);
  /* A flood, all at once: every one told, none served. */
  for (guint i = 0; i < G_N_ELEMENTS (flood); i++)
    {
      flood[i] = connect_to (server);
      send_text (flood[i], "GET /download?bytes=1000 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
  for (guint i = 0; i < G_N_ELEMENTS (flood); i++)
    {
      g_autoptr(GByteArray) all = read_all (flood[i]);
      g_autofree char *text = g_strndup ((const char *) all->data, all->len);

      close (flood[i]);
      g_assert_true (g_str_has_prefix (text, "HTTP/1.1 503 Service Unavailable\r\n"));
      g_assert_nonnull (strstr (text, "\r\nRetry-After: 1\r\n"));
      g_assert_true (g_str_has_suffix (text, "\r\n\r\nThe server is busy: it already runs 2 tests\n"));
    }
  g_assert_cmpuint (ws_server_get_n_sessions (server), ==, 2);
  close (held[0]);
  close (held[1]);
  ws_test_wait_idle (server, 5);
  get (server, "/download?bytes=1000", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  response_clear (&r);
}

/* --max-per-address counts HTTP connections too, and says so. */
static void
test_busy_address (void)
{
  ServerOptions o = { .max_per_address = 1 };
  g_autoptr(WsServer) server = server_new (&o);
  int held = connect_to (server);
  g_autofree char *head = NULL;
  Response r;

  send_text (held, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  head = read_head (held);
  get (server, "/ping", NULL, &r);
  g_assert_cmpuint (r.status, ==, 503);
  g_assert_nonnull (g_strstr_len ((const char *) r.body, r.body_len,
                                  "this address already runs 1 test, the most one address may run"));
  response_clear (&r);
  close (held);
  ws_test_wait_idle (server, 5);
}

/* An IPv6 client, as the server saw it. */
static void
test_ipv6 (void)
{
  ServerOptions o = { .bind = "::1" };
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr(WsServer) server = NULL;
  g_autofree char *target = NULL;
  g_autofree char *out = NULL;
  int status;

  if (probe == NULL || !g_socket_bind (probe, sa, FALSE, NULL))
    {
      g_test_skip ("::1 is not usable here");
      return;
    }
  server = server_new (&o);
  target = url (server, "http", "[::1]", "/ip");
  out = curl (&status, target, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "{\"address\": \"::1\", \"port\": "));
  g_assert_true (g_str_has_suffix (out, ", \"family\": \"ipv6\"}"));
}

/* Seconds until the server closes @fd, which sends @drip every 300 ms
 * (nothing if NULL) for 6 s at most. */
static gdouble
seconds_to_close (int         fd,
                  const char *drip)
{
  gint64 start = ws_now_ns ();
  struct timeval tv = { 0, 300000 };
  char buf[4096];

  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (ws_now_ns () - start < 6 * WS_NSEC_PER_SEC)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        break;
      if (n < 0 && drip != NULL && send (fd, drip, strlen (drip), MSG_NOSIGNAL) < 0)
        break;
    }
  return (ws_now_ns () - start) / 1e9;
}

/* Silent, dripping headers, a stalled body, a reader that stopped
 * reading: each is closed at the idle timeout (1 s here), and holds its
 * slot until then. */
static void
test_slowloris (void)
{
  ServerOptions o = { .max_clients = 1, .idle_timeout_s = 1 };
  g_autoptr(WsServer) server = server_new (&o);
  static const struct { const char *start; const char *drip; } cases[] = {
    { "GET /ping HTTP/1.1\r\n", NULL },
    { "GET /ping HTTP/1.1\r\n", "X-Drip: 1\r\n" },
    { "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n0123456789", NULL },
    { "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int fd = connect_to (server);
      gdouble took;
      Response r;

      send_text (fd, cases[i].start);
      wait_sessions (server, 1);
      get (server, "/ping", NULL, &r);
      g_assert_cmpuint (r.status, ==, 503);
      response_clear (&r);
      took = seconds_to_close (fd, cases[i].drip);
      g_test_message ("slowloris %u closed after %.2f s", i, took);
      g_assert_cmpfloat (took, >=, 0.6);
      g_assert_cmpfloat (took, <, 4.0);
      close (fd);
      ws_test_wait_idle (server, 3);
    }

  /* A download nobody reads: closed too, however much is still unsent. */
  {
    int fd = connect_to (server);
    int small = 4096;

    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    send_text (fd, "GET /download?bytes=10000000000 HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_sessions (server, 1);
    ws_test_wait_idle (server, 4);
    close (fd);
  }
}

/* A client that goes mid-download (with a reset): the server logs what it
 * sent and frees the slot. */
static void
test_vanish (void)
{
  ServerOptions o = { 0 };
  g_autoptr(WsServer) server = server_new (&o);
  int fd = connect_to (server);
  struct linger reset = { 1, 0 };
  g_autofree char *line = NULL;
  guint64 sent = 0;
  gsize got = 0;
  char buf[65536];

  send_text (fd, "GET /download?bytes=10000000000 HTTP/1.1\r\nHost: x\r\n\r\n");
  while (got < 4000000)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      g_assert_cmpint (n, >, 0);
      got += n;
    }
  setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close (fd);
  ws_test_wait_idle (server, 5);
  line = find_log_line ("HTTP GET /download?bytes=10000000000 200 sent=");
  g_assert_nonnull (line);
  g_assert_true (sscanf (strstr (line, "sent="), "sent=%" G_GUINT64_FORMAT, &sent) == 1);
  g_assert_cmpuint (sent, >=, got - 1000);
  g_assert_cmpuint (sent, <, G_GUINT64_CONSTANT (10000000000));
}

/* A header of a megabyte, and a body longer than announced: refused or
 * cut, and the server serves the next client. */
static void
test_liars (void)
{
  ServerOptions o = { .idle_timeout_s = 2 };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *huge = g_strnfill (1024 * 1024, 'a');
  g_autofree char *text = g_strdup_printf ("GET /ping HTTP/1.1\r\nHost: x\r\nX-Huge: %s\r\n\r\n", huge);
  /* 20 kB more than announced: read after the answer, as the next request. */
  g_autofree char *lying = g_strdup_printf ("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n%.21000s",
                                            huge);
  g_autoptr(GByteArray) all = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *line = NULL;
  int fd = connect_to (server);
  Response r;

  /* The server may close before it has read it all. */
  send (fd, text, strlen (text), MSG_NOSIGNAL);
  g_assert_cmpfloat (seconds_to_close (fd, NULL), <, 4.0);
  close (fd);

  fd = connect_to (server);
  send (fd, lying, strlen (lying), MSG_NOSIGNAL);
  all = read_all (fd);
  close (fd);
  reply = g_strndup ((const char *) all->data, all->len);
  g_assert_nonnull (strstr (reply, "{\"bytes\": 1000, "));
  line = find_log_line ("HTTP POST /upload 200 sent=");
  g_assert_nonnull (strstr (line, " received=1000 "));

  get (server, "/download?bytes=100", NULL, &r);
  g_assert_cmpuint (r.status, ==, 200);
  response_clear (&r);
  ws_test_wait_idle (server, 5);
}

/* --max-bitrate paces bodies both ways; --max-duration cuts them. */
static void
test_pacing (void)
{
  ServerOptions o = { .max_bitrate = 40000000, .max_duration_s = 3 };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *target = url (server, "http", "127.0.0.1", "/download?bytes=5000000");
  g_autofree char *upload = url (server, "http", "127.0.0.1", "/upload");
  g_autofree char *dir = g_dir_make_tmp ("ws-http-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "body", NULL);
  g_autofree char *data = g_strconcat ("@", file, NULL);
  g_autofree char *body = g_strnfill (5000000, 'p');
  g_autofree char *down = NULL;
  g_autofree char *up = NULL;
  gdouble seconds;
  int status;

  /* 5 MB at 40 Mbit/s: one second, each way. */
  down = curl (&status, "-o", "/dev/null", "-w", "%{size_download} %{time_total}", target, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (down, "5000000 "));
  seconds = g_ascii_strtod (strchr (down, ' ') + 1, NULL);
  g_test_message ("paced download: %s", down);
  g_assert_cmpfloat (seconds, >=, 0.9);
  g_assert_cmpfloat (seconds, <, 2.9);

  g_assert_true (g_file_set_contents (file, body, 5000000, NULL));
  up = curl (&status, "-o", "/dev/null", "-w", "%{size_upload} %{time_total}",
             "--data-binary", data, upload, NULL);
  g_assert_cmpint (status, ==, 0);
  g_test_message ("paced upload: %s", up);
  g_assert_true (g_str_has_prefix (up, "5000000 "));
  seconds = g_ascii_strtod (strchr (up, ' ') + 1, NULL);
  g_assert_cmpfloat (seconds, >=, 0.9);
  g_unlink (file);
  g_rmdir (dir);
}

static void
test_max_duration (void)
{
  ServerOptions o = { .max_duration_s = 1 };
  g_autoptr(WsServer) server = server_new (&o);
  g_autofree char *target = url (server, "http", "127.0.0.1", "/download?bytes=100000000000");
  g_autofree char *out = NULL;
  gdouble seconds;
  int status;

  out = curl (&status, "-o", "/dev/null", "-w", "%{time_total}", target, NULL);
  g_assert_cmpint (status, ==, 18);  /* partial file */
  seconds = g_ascii_strtod (out, NULL);
  g_assert_cmpfloat (seconds, >=, 0.9);
  g_assert_cmpfloat (seconds, <, 4.0);
  ws_test_wait_idle (server, 3);
}

/* ws_server_stop() ends HTTP connections too: idle, in a plaintext
 * download blocked on a client that does not read, and in TLS. */
static void
test_stop (void)
{
  ServerOptions o = { .certificate = "server", .allow_plaintext = TRUE };
  WsServer *server = server_new (&o);
  g_autofree char *ca = tls_fixture ("ca.pem");
  g_autofree char *command = g_strdup_printf ("curl -s --cacert %s -o /dev/null --limit-rate 100k "
                                              "https://localhost:%u/download?bytes=100000000",
                                              ca, ws_server_get_port (server));
  g_auto(GStrv) argv = g_strsplit (command, " ", -1);
  GPid curl_pid;
  int idle = connect_to (server);
  int stuck = connect_to (server);
  g_autofree char *head = NULL;
  gint64 start;

  send_text (idle, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  head = read_head (idle);
  send_text (stuck, "GET /download?bytes=10000000000 HTTP/1.1\r\nHost: x\r\n\r\n");
  g_assert_true (g_spawn_async (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &curl_pid, NULL));
  wait_sessions (server, 3);
  g_usleep (300000);
  start = ws_now_ns ();
  ws_server_stop (server);
  g_test_message ("stopped in %.3f s", (ws_now_ns () - start) / 1e9);
  g_assert_cmpint (ws_now_ns () - start, <, 2 * WS_NSEC_PER_SEC);
  g_assert_cmpuint (ws_server_get_n_sessions (server), ==, 0);
  g_object_unref (server);
  kill (curl_pid, SIGTERM);
  waitpid (curl_pid, NULL, 0);
  g_spawn_close_pid (curl_pid);
  close (idle);
  close (stuck);
}

/* ---- Hostile clients while a real test runs ---- */

typedef struct {
  WsServer *server;
  gboolean stop;
  guint rounds;
  guint ok, busy;
} Hostile;

static gpointer
hostile_thread (gpointer data)
{
  Hostile *h = data;

  while (!g_atomic_int_get (&h->stop))
    {
      int silent = connect_to (h->server);
      int vanish = connect_to (h->server);
      struct linger reset = { 1, 0 };
      char buf[65536];
      Response r;

      send_text (silent, "GET /ping HTTP/1.1\r\n");
      send_text (vanish, "GET /download?bytes=10000000000 HTTP/1.1\r\nHost: x\r\n\r\n");
      g_assert_cmpint (recv (vanish, buf, sizeof buf, 0), >, 0);
      setsockopt (vanish, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      close (vanish);
      for (guint i = 0; i < 4; i++)
        {
          get (h->server, "/download?bytes=200000", NULL, &r);
          g_assert_true (r.status == 200 || r.status == 503);
          if (r.status == 200)
            {
              g_assert_cmpuint (r.body_len, ==, 200000);
              h->ok++;
            }
          else
            h->busy++;
          response_clear (&r);
        }
      close (silent);
      h->rounds++;
    }
  return NULL;
}

static void
test_under_attack (void)
{
  ServerOptions o = { .max_clients = 4, .idle_timeout_s = 2 };
  g_autoptr(WsServer) server = server_new (&o);
  Hostile h = { server };
  GThread *thread = g_thread_new ("hostile", hostile_thread, &h);
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, "127.0.0.1", 2);
  ws_test_run (&run, &config);
  g_atomic_int_set (&h.stop, TRUE);
  g_thread_join (thread);
  g_test_message ("under attack: %u rounds, %u downloads, %u busy", h.rounds, h.ok, h.busy);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->upload.receiver_bytes, >, 0);
  g_assert_cmpuint (h.rounds, >, 0);
  g_assert_cmpuint (h.ok, >, 0);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
  ws_test_wait_idle (server, 5);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  log_lines = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_log, NULL, NULL);

  g_test_add_func ("/http/unit/sniff", test_sniff);
  g_test_add_func ("/http/unit/query", test_query);
  g_test_add_func ("/http/unit/range", test_range);
  g_test_add_func ("/http/unit/names", test_names);
  g_test_add_func ("/http/download", test_download);
  g_test_add_func ("/http/range", test_range_requests);
  g_test_add_func ("/http/upload", test_upload);
  g_test_add_func ("/http/small-answers", test_small_answers);
  g_test_add_func ("/http/nq-config", test_nq_config);
  g_test_add_func ("/http/errors", test_errors);
  g_test_add_func ("/http/static", test_static);
  g_test_add_func ("/http/keepalive", test_keepalive);
  g_test_add_func ("/http/https", test_https);
  g_test_add_func ("/http/denied", test_denied);
  g_test_add_func ("/http/busy", test_busy);
  g_test_add_func ("/http/busy-address", test_busy_address);
  g_test_add_func ("/http/ipv6", test_ipv6);
  g_test_add_func ("/http/slowloris", test_slowloris);
  g_test_add_func ("/http/vanish", test_vanish);
  g_test_add_func ("/http/liars", test_liars);
  g_test_add_func ("/http/pacing", test_pacing);
  g_test_add_func ("/http/max-duration", test_max_duration);
  g_test_add_func ("/http/stop", test_stop);
  g_test_add_func ("/http/under-attack", test_under_attack);
  return g_test_run ();
}
