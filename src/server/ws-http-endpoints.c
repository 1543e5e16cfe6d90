/* ws-http-endpoints.c — what the server answers over HTTP
 *
 * docs/PROTOCOL.md section 9.2 is the contract. One handler routes every
 * path, so that 404, 405 and OPTIONS are ours and the same everywhere.
 * Generated bodies (downloads) are handed to libsoup a slice at a time,
 * each slice a view of one shared pseudo-random pattern (ws-http-body.c),
 * so a 100 GB download costs no memory; the next slice is given when the
 * last one is written, or later when the body is paced to the server's
 * bitrate. Plaintext ones that are not paced take the fast path there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "ws-address.h"
#include "ws-http.h"
#include "ws-http-private.h"
#include "ws-time.h"
#include "ws-web-resources.h"

#define WEB_PREFIX "/io/github/wirespeed/Wirespeed/web/"
#define DEFAULT_DOWNLOAD G_GUINT64_CONSTANT (100000000)
#define NQ_LARGE G_GUINT64_CONSTANT (8000000000)
#define MIB G_GUINT64_CONSTANT (1048576)
/* A paced body moves in slices of about this long. */
#define PACE_SLICES_PER_S 50

typedef enum {
  M_GET = 1 << 0,
  M_HEAD = 1 << 1,
  M_POST = 1 << 2,
  M_PUT = 1 << 3,
} Methods;

typedef void (*Endpoint) (WsHttpSession     *session,
                          SoupServerMessage *msg,
                          const char        *query);

typedef struct {
  const char *path;
  Methods methods;
  Endpoint answer;
} Route;

void
_ws_http_set_common_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (h, "Timing-Allow-Origin", "*");
}

static void
set_text (SoupServerMessage *msg,
          guint              status,
          const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
set_json (SoupServerMessage *msg,
          char              *json)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

/* ---- Generated bodies ---- */

static guint64
slice_size (WsHttpRequest *r)
{
  guint64 n = MIN (r->remaining, WS_HTTP_PATTERN_SIZE - r->offset % WS_HTTP_PATTERN_SIZE);
  guint64 rate = _ws_http_session_get_limits (r->session)->max_bitrate;

  if (rate > 0)
    n = MIN (n, MAX (4096, rate / 8 / PACE_SLICES_PER_S));
  return n;
}

static void
give_slice (SoupServerMessage *msg,
            WsHttpRequest     *r)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  guint64 n;

  if (r->remaining == 0)
    {
      soup_message_body_complete (body);
      return;
    }
  n = slice_size (r);
  bytes = g_bytes_new_static (_ws_http_pattern () + r->offset % WS_HTTP_PATTERN_SIZE, n);
  soup_message_body_append_bytes (body, bytes);
  r->offset += n;
  r->remaining -= n;
}

static gboolean
resume_writing (gpointer data)
{
  SoupServerMessage *msg = data;
  WsHttpRequest *r = _ws_http_request_get (msg);

  g_clear_pointer (&r->pace, g_source_unref);
  give_slice (msg, r);
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

/* A slice is written: the next one now, or when the pace allows. With
 * none given, libsoup pauses the message until resume_writing(). */
static void
on_wrote_chunk (SoupServerMessage *msg,
                WsHttpRequest     *r)
{
  gint64 delay = _ws_http_pace_delay_ns (r, r->sent);

  if (delay > WS_NSEC_PER_SEC / 1000 && r->pace == NULL)
    r->pace = _ws_http_add_timeout (delay, resume_writing, msg);
  else if (r->pace == NULL)
    give_slice (msg, r);
}

/* The headers are out: the body by sendfile(), then an empty one for
 * libsoup to end the response with. A body cut short cannot be followed
 * by another response on the connection. */
static void
on_wrote_headers_fast (SoupServerMessage *msg,
                       WsHttpRequest     *r)
{
  WsHttpBodyLimits limits;
  g_autoptr(GError) error = NULL;
  guint64 sent = 0;

  _ws_http_body_limits (r, &limits);
  if (!_ws_http_send_pattern (_ws_http_session_get_fd (r->session), r->offset, r->remaining,
                              &limits, &sent, &error))
    _ws_http_session_close (r->session, error->message);
  r->sent += sent;
  r->offset += sent;
  r->remaining = 0;
  soup_message_body_complete (soup_server_message_get_response_body (msg));
}

/* @length bytes of the pattern from @first, as the response body. */
static void
stream_body (SoupServerMessage *msg,
             guint64            first,
             guint64            length)
{
  WsHttpRequest *r = _ws_http_request_get (msg);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_message_headers_set_content_type (h, "application/octet-stream", NULL);
  soup_message_headers_set_content_length (h, length);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  r->offset = first;
  r->remaining = soup_server_message_get_method (msg) == SOUP_METHOD_HEAD ? 0 : length;
  r->fast = r->remaining > 0 && !_ws_http_session_is_tls (r->session)
            && _ws_http_session_get_limits (r->session)->max_bitrate == 0
            && _ws_http_fast_path_available ();
  if (r->fast)
    {
      g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_wrote_headers_fast), r);
      return;
    }
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), r);
  give_slice (msg, r);
}

/* @size bytes, or the one range of them that the request asks for. */
static void
stream_with_range (SoupServerMessage *msg,
                   guint64            size)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  g_autofree char *content_range = NULL;
  guint64 first = 0, last = 0;

  soup_message_headers_replace (h, "Accept-Ranges", "bytes");
  switch (ws_http_parse_range (soup_message_headers_get_one (req, "Range"), size, &first, &last))
    {
    case WS_HTTP_RANGE_NONE:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      stream_body (msg, 0, size);
      return;
    case WS_HTTP_RANGE_OK:
      content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                       "/%" G_GUINT64_FORMAT, first, last, size);
      soup_message_headers_replace (h, "Content-Range", content_range);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      stream_body (msg, first, last - first + 1);
      return;
    case WS_HTTP_RANGE_UNSATISFIABLE:
    case WS_HTTP_RANGE_MULTIPLE:
    default:
      content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
      soup_message_headers_replace (h, "Content-Range", content_range);
      set_text (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
                "One satisfiable byte range only\n");
    }
}

static void
answer_download (WsHttpSession     *session,
                 SoupServerMessage *msg,
                 const char        *query)
{
  guint64 size = DEFAULT_DOWNLOAD;

  if (ws_http_query_u64 (query, "bytes", WS_HTTP_MAX_BODY, &size) == WS_HTTP_PARAM_BAD)
    {
      set_text (msg, SOUP_STATUS_BAD_REQUEST, "bytes= must be a number from 0 to 100000000000\n");
      return;
    }
  stream_with_range (msg, size);
}

static void
answer_nq_large (WsHttpSession     *session,
                 SoupServerMessage *msg,
                 const char        *query)
{
  stream_with_range (msg, NQ_LARGE);
}

static void
answer_nq_small (WsHttpSession     *session,
                 SoupServerMessage *msg,
                 const char        *query)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  stream_body (msg, 0, 1);
}

/* LibreSpeed's garbage.php: ckSize MiB, 4 unless a positive number,
 * 1024 at most. */
static void
answer_garbage (WsHttpSession     *session,
                SoupServerMessage *msg,
                const char        *query)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  guint64 chunks = 4;

  if (ws_http_query_u64 (query, "ckSize", G_MAXUINT64, &chunks) != WS_HTTP_PARAM_OK || chunks == 0)
    chunks = 4;
  soup_message_headers_replace (h, "Content-Description", "File Transfer");
  soup_message_headers_replace (h, "Content-Disposition", "attachment; filename=random.dat");
  soup_message_headers_replace (h, "Content-Transfer-Encoding", "binary");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  stream_body (msg, 0, MIN (chunks, 1024) * MIB);
}

/* ---- Sinks and small answers ---- */

static void
answer_upload (WsHttpSession     *session,
               SoupServerMessage *msg,
               const char        *query)
{
  WsHttpRequest *r = _ws_http_request_get (msg);
  gint64 end = r->body_end_ns ? r->body_end_ns : ws_now_ns ();

  set_json (msg, g_strdup_printf ("{\"bytes\": %" G_GUINT64_FORMAT ", \"elapsed_ms\": %" G_GINT64_FORMAT "}",
                                  r->received, (end - r->start_ns) / (WS_NSEC_PER_SEC / 1000)));
}

static void
answer_empty (WsHttpSession     *session,
              SoupServerMessage *msg,
              const char        *query)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_length (soup_server_message_get_response_headers (msg), 0);
}

static void
answer_librespeed_empty (WsHttpSession     *session,
                         SoupServerMessage *msg,
                         const char        *query)
{
  answer_empty (session, msg, query);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "keep-alive");
}

/* The peer as the server saw it, IPv4-mapped as IPv4; *port too. */
static char *
peer_ip (WsHttpSession  *session,
         guint16        *port,
         GInetAddress  **inet)
{
  GSocketAddress *sa = _ws_http_session_get_remote (session);

  *port = 0;
  *inet = NULL;
  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return g_strdup ("");
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
  *inet = ws_address_unmap (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  return g_inet_address_to_string (*inet);
}

static void
answer_ip (WsHttpSession     *session,
           SoupServerMessage *msg,
           const char        *query)
{
  g_autoptr(GInetAddress) inet = NULL;
  guint16 port;
  g_autofree char *ip = peer_ip (session, &port, &inet);
  gboolean v4 = inet != NULL && g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4;

  set_json (msg, g_strdup_printf ("{\"address\": \"%s\", \"port\": %u, \"family\": \"%s\"}",
                                  ip, port, v4 ? "ipv4" : "ipv6"));
}

/* What LibreSpeed's getIP.php adds to an address it cannot look up. */
static const char *
librespeed_scope (GInetAddress *inet)
{
  const guint8 *b = g_inet_address_to_bytes (inet);
  gboolean v4 = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4;

  if (g_inet_address_get_is_loopback (inet))
    return v4 ? " - localhost IPv4 access" : " - localhost IPv6 access";
  if (g_inet_address_get_is_link_local (inet))
    return v4 ? " - link-local IPv4 access" : " - link-local IPv6 access";
  if (v4 && g_inet_address_get_is_site_local (inet))
    return " - private IPv4 access";
  if (v4 && b[0] == 100 && (b[1] & 0xc0) == 64)
    return " - CGNAT IPv4 access";
  return "";
}

static void
answer_get_ip (WsHttpSession     *session,
               SoupServerMessage *msg,
               const char        *query)
{
  g_autoptr(GInetAddress) inet = NULL;
  guint16 port;
  g_autofree char *ip = peer_ip (session, &port, &inet);

  set_json (msg, g_strdup_printf ("{\"processedString\": \"%s%s\", \"rawIspInfo\": \"\"}",
                                  ip, inet ? librespeed_scope (inet) : ""));
}

/* networkQuality's configuration, its URLs on the host the request named. */
static void
answer_nq_config (WsHttpSession     *session,
                  SoupServerMessage *msg,
                  const char        *query)
{
  static const char *const urls[][2] = {
    { "small_https_download_url", "/nq/small" },
    { "large_https_download_url", "/nq/large" },
    { "https_upload_url", "/nq/upload" },
    /* The older names, which some clients still read (Apple's server
     * sends both). */
    { "small_download_url", "/nq/small" },
    { "large_download_url", "/nq/large" },
    { "upload_url", "/nq/upload" },
  };
  GUri *uri = soup_server_message_get_uri (msg);
  const char *scheme = _ws_http_session_is_tls (session) ? "https" : "http";
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "test_endpoint");
  json_builder_add_string_value (b, g_uri_get_host (uri));
  json_builder_set_member_name (b, "urls");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *url = g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (uri),
                                         g_uri_get_port (uri), urls[i][1], NULL, NULL);

      json_builder_set_member_name (b, urls[i][0]);
      json_builder_add_string_value (b, url);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  set_json (msg, json_generator_to_data (gen, NULL));
}

/* The page and its files, from the GResource. */
static void
answer_resource (SoupServerMessage *msg,
                 const char        *name)
{
  g_autofree char *path = g_strconcat (WEB_PREFIX, name, NULL);
  g_autoptr(GBytes) data = NULL;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  if (ws_http_static_name_is_valid (name))
    data = g_resource_lookup_data (ws_web_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (data == NULL)
    {
      set_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (h, ws_http_content_type (name), NULL);
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), data);
}

static void
answer_index (WsHttpSession     *session,
              SoupServerMessage *msg,
              const char        *query)
{
  answer_resource (msg, "index.html");
}

/* ---- Routing ---- */

static const Route routes[] = {
  { "/", M_GET | M_HEAD, answer_index },
  { "/download", M_GET | M_HEAD, answer_download },
  { "/upload", M_POST | M_PUT, answer_upload },
  { "/ping", M_GET | M_HEAD | M_POST, answer_empty },
  { "/ip", M_GET | M_HEAD, answer_ip },
  { "/backend/garbage.php", M_GET | M_HEAD, answer_garbage },
  { "/backend/empty.php", M_GET | M_HEAD | M_POST, answer_librespeed_empty },
  { "/backend/getIP.php", M_GET | M_HEAD, answer_get_ip },
  { "/.well-known/nq", M_GET | M_HEAD, answer_nq_config },
  { "/config", M_GET | M_HEAD, answer_nq_config },
  { "/nq/small", M_GET | M_HEAD, answer_nq_small },
  { "/nq/large", M_GET | M_HEAD, answer_nq_large },
  { "/nq/upload", M_POST | M_PUT, answer_upload },
};

static Methods
method_bit (const char *method)
{
  static const char *const names[] = { "GET", "HEAD", "POST", "PUT" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (method, names[i]) == 0)
      return 1 << i;
  return 0;
}

static char *
allow_text (Methods methods)
{
  static const char *const names[] = { "GET", "HEAD", "POST", "PUT" };
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (methods & (1 << i))
      g_string_append_printf (text, "%s%s", text->len ? ", " : "", names[i]);
  g_string_append (text, ", OPTIONS");
  return g_string_free (text, FALSE);
}

static void
answer_options (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  soup_message_headers_replace (h, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, OPTIONS");
  soup_message_headers_replace (h, "Access-Control-Allow-Headers", "*");
  soup_message_headers_replace (h, "Access-Control-Max-Age", "86400");
}

static void
route (SoupServer        *server,
       SoupServerMessage *msg,
       const char        *path,
       GHashTable        *form,
       gpointer           data)
{
  WsHttpSession *session = data;
  const char *method = soup_server_message_get_method (msg);
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  const char *mark = strchr (path, '?');
  g_autofree char *own_path = NULL;
  Methods bit = method_bit (method);

  /* libsoup 3.2 leaves the query in the path of an HTTP/1.0 request
   * without Host. */
  if (query == NULL && mark != NULL)
    {
      own_path = g_strndup (path, mark - path);
      query = mark + 1;
      path = own_path;
    }

  _ws_http_set_common_headers (msg);
  if (method == SOUP_METHOD_OPTIONS)
    {
      answer_options (msg);
      return;
    }
  if (g_str_has_prefix (path, "/static/") && (bit & (M_GET | M_HEAD)))
    {
      answer_resource (msg, path + strlen ("/static/"));
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_autofree char *allow = NULL;

      if (strcmp (path, routes[i].path) != 0)
        continue;
      if (bit & routes[i].methods)
        {
          routes[i].answer (session, msg, query);
          return;
        }
      allow = allow_text (routes[i].methods);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
      set_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
      return;
    }
  set_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

void
_ws_http_endpoints_add (SoupServer    *server,
                        WsHttpSession *session)
{
  soup_server_add_handler (server, NULL, route, session, NULL);
}

typedef struct {
  guint status;
  char *text;
} Refusal;

static void
refusal_free (gpointer data)
{
  Refusal *refusal = data;

  g_free (refusal->text);
  g_free (refusal);
}

static void
refuse (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *form,
        gpointer           data)
{
  Refusal *refusal = data;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  g_autofree char *text = g_strconcat (refusal->text, "\n", NULL);

  _ws_http_set_common_headers (msg);
  soup_message_headers_replace (h, "Connection", "close");
  if (refusal->status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace (h, "Retry-After", "1");
  set_text (msg, refusal->status, text);
}

/* Every request gets @status and @text, and the connection closes. */
void
_ws_http_refusal_add (SoupServer *server,
                      guint       status,
                      const char *text)
{
  Refusal *refusal = g_new0 (Refusal, 1);

  refusal->status = status;
  refusal->text = g_strdup (text);
  soup_server_add_handler (server, NULL, refuse, refusal, refusal_free);
}
