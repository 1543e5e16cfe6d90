/* ws-http-request.c — one HTTP request and its timings, over libsoup
 *
 * libsoup 3.2 has no "got-body-data": the body is read here in large
 * chunks, each counted at once into the stream's counter, so samples flow
 * while a single request of a gigabyte is still running. The phases come
 * from SOUP_MESSAGE_COLLECT_METRICS, except the end of the body, which is
 * ours: libsoup stamps it when the message is finished, not when its last
 * byte was read.
 *
 * A SoupSession belongs to the thread that made it (libsoup 3), so each
 * thread of a test has an agent of its own, with its own main context
 * pushed while it lives, and its own connections.
 *
 * Failures are one line a person can act on: what did not work, at which
 * server. The HTTP status is not checked here but by the caller
 * (ws_http_check_status), which knows what it asked for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "ws-address.h"
#include "ws-channel.h"
#include "ws-error.h"
#include "ws-http-request.h"

struct _WsHttpAgent {
  GMainContext *context;
  SoupSession *session;
  gboolean has_pin;
  guint8 pin[32];
  GTlsCertificateFlags peer_errors; /* of the last refused certificate */
  char *refused_pin;                /* its fingerprint, when a pin refused it */
  SoupMessage *answered;            /* the last message with a response */
};

/**
 * ws_http_agent_new:
 *
 * An HTTP client for the calling thread, which alone may use and free it.
 * The TLS options of @config apply to https URLs: its CA file replaces
 * the system's CAs, its fingerprint pins the certificate.
 */
WsHttpAgent *
ws_http_agent_new (const WsTestConfig  *config,
                   GError             **error)
{
  g_autoptr(WsHttpAgent) a = g_new0 (WsHttpAgent, 1);

  a->context = g_main_context_new ();
  g_main_context_push_thread_default (a->context);
  a->session = soup_session_new_with_options ("timeout", WS_HTTP_TIMEOUT_S,
                                              "user-agent", "wirespeed/" PACKAGE_VERSION,
                                              NULL);
  /* The bytes on the wire are what is measured: no compression. */
  soup_session_remove_feature_by_type (a->session, SOUP_TYPE_CONTENT_DECODER);
  if (config->tls_ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) db = ws_tls_load_ca (config->tls_ca_file, error);

      if (db == NULL)
        return NULL;
      soup_session_set_tls_database (a->session, db);
    }
  if (config->tls_fingerprint != NULL)
    a->has_pin = ws_tls_fingerprint_parse (config->tls_fingerprint, a->pin);
  return g_steal_pointer (&a);
}

void
ws_http_agent_free (WsHttpAgent *a)
{
  if (a->session != NULL)
    soup_session_abort (a->session);
  g_clear_object (&a->session);
  g_main_context_pop_thread_default (a->context);
  g_main_context_unref (a->context);
  g_free (a->refused_pin);
  g_clear_object (&a->answered);
  g_free (a);
}

static gboolean
pin_matches (WsHttpAgent     *a,
             GTlsCertificate *certificate)
{
  guint8 digest[32];

  return certificate != NULL && ws_tls_certificate_digest (certificate, digest)
         && memcmp (digest, a->pin, sizeof digest) == 0;
}

/* Called only for a certificate that failed the checks: a pinned one is
 * accepted anyway, as by our own protocol's TLS. */
static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              data)
{
  WsHttpAgent *a = data;

  if (a->has_pin && pin_matches (a, certificate))
    return TRUE;
  a->peer_errors = errors;
  g_clear_pointer (&a->refused_pin, g_free);
  if (a->has_pin)
    a->refused_pin = ws_tls_certificate_fingerprint (certificate);
  return FALSE;
}

SoupMessage *
ws_http_agent_message (WsHttpAgent *a,
                       const char  *method,
                       GUri        *uri)
{
  SoupMessage *msg = soup_message_new_from_uri (method, uri);

  /* Redirects are followed by the caller, with a limit of its own. */
  soup_message_add_flags (msg, SOUP_MESSAGE_COLLECT_METRICS | SOUP_MESSAGE_NO_REDIRECT);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), a);
  return msg;
}

/* "https://example.org:443": the server a failure is about. */
char *
ws_http_uri_describe (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  gint port = g_uri_get_port (uri);
  gboolean v6 = strchr (g_uri_get_host (uri), ':') != NULL;

  if (port < 0)
    port = g_ascii_strcasecmp (scheme, "https") == 0 ? 443 : 80;
  return g_strdup_printf (v6 ? "%s://[%s]:%d" : "%s://%s:%d", scheme, g_uri_get_host (uri), port);
}

static GUri *
check_scheme (GUri        *uri,
              const char  *text,
              GError     **error)
{
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri != NULL && (g_str_equal (scheme, "http") || g_str_equal (scheme, "https"))
      && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0')
    return uri;
  g_clear_pointer (&uri, g_uri_unref);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an http:// or https:// URL"), text);
  return NULL;
}

/* The URL to test: http or https, with a host. */
GUri *
ws_http_parse_url (const char  *text,
                   GError     **error)
{
  return check_scheme (g_uri_parse (text, SOUP_HTTP_URI_FLAGS, NULL), text, error);
}

/* Where a redirect points, which may be relative to @base. */
GUri *
ws_http_parse_location (GUri        *base,
                        const char  *location,
                        GError     **error)
{
  g_autofree char *text = g_strndup (location, 512);

  return check_scheme (g_uri_parse_relative (base, location, SOUP_HTTP_URI_FLAGS, NULL),
                       text, error);
}

static gboolean
is_not_http (const GError *e)
{
  return e->domain == SOUP_SESSION_ERROR
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT)
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
}

/* The certificate's fault, said as our own protocol's TLS says it. */
static void
explain_certificate (WsHttpAgent  *a,
                     GError      **error)
{
  GTlsCertificateFlags said_first = G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_NOT_ACTIVATED
                                    | G_TLS_CERTIFICATE_BAD_IDENTITY;
  gboolean unknown_ca = !(a->peer_errors & said_first)
                        && (a->peer_errors & G_TLS_CERTIFICATE_UNKNOWN_CA);

  if (a->refused_pin != NULL)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                 _("TLS: fingerprint mismatch: the server’s certificate is SHA256:%s, "
                   "not the pinned one"), a->refused_pin);
  else
    g_set_error (error, unknown_ca ? WS_CLIENT_ERROR : G_TLS_ERROR,
                 unknown_ca ? WS_CLIENT_ERROR_TLS_UNKNOWN_CA : G_TLS_ERROR_BAD_CERTIFICATE,
                 _("TLS: %s"), ws_tls_describe_certificate_errors (a->peer_errors));
}

static goffset content_length (SoupMessage *msg);

/* A response that is not HTTP, on a connection whose previous response had
 * a Content-Length: most likely that body was longer than it said, and
 * its extra bytes are what libsoup took for this response's status line. */
static gboolean
follows_lying_length (WsHttpAgent *a,
                      SoupMessage *msg,
                      goffset     *promised)
{
  if (a->answered == NULL || a->answered == msg
      || soup_message_get_connection_id (msg) != soup_message_get_connection_id (a->answered))
    return FALSE;
  *promised = content_length (a->answered);
  return *promised >= 0;
}

/* libsoup's error for a request that got no response, as one line. */
static void
explain_send_error (WsHttpAgent  *a,
                    SoupMessage  *msg,
                    GError       *cause,
                    GError      **error)
{
  g_autofree char *where = ws_http_uri_describe (soup_message_get_uri (msg));
  goffset promised;

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (cause));
  else if (a->peer_errors != 0)
    explain_certificate (a, error);
  else if (cause->domain == G_TLS_ERROR)
    /* Translators: a URL's start, then why TLS failed. */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: TLS failed: %s"),
                 where, cause->message);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 g_dngettext (GETTEXT_PACKAGE, "%s did not answer within %u second",
                              "%s did not answer within %u seconds", WS_HTTP_TIMEOUT_S),
                 where, WS_HTTP_TIMEOUT_S);
  else if (cause->domain == SOUP_SESSION_ERROR && follows_lying_length (a, msg, &promised))
    /* Translators: a URL's start; the number is a Content-Length. */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("%s sent more than the %" PRId64 " bytes its Content-Length promised: "
                   "the next answer on the connection did not start as HTTP (%s)"),
                 where, (int64_t) promised, cause->message);
  else if (is_not_http (cause))
    /* Translators: a URL's start, then libsoup's reason. */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("%s did not answer in HTTP (%s)"), where, cause->message);
  else
    g_set_error (error, cause->domain, cause->code, "%s: %s", where, cause->message);
}

/**
 * ws_http_agent_send:
 *
 * Sends @msg and returns its body once the response's headers are in.
 */
GInputStream *
ws_http_agent_send (WsHttpAgent   *a,
                    SoupMessage   *msg,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(GError) cause = NULL;
  g_autoptr(GInputStream) body = NULL;

  a->peer_errors = 0;
  body = soup_session_send (a->session, msg, cancellable, &cause);
  if (body == NULL)
    {
      explain_send_error (a, msg, cause, error);
      return NULL;
    }
  g_set_object (&a->answered, msg);
  /* A certificate a CA vouches for is checked against the pin too. */
  if (a->has_pin && soup_message_get_tls_peer_certificate (msg) != NULL
      && !pin_matches (a, soup_message_get_tls_peer_certificate (msg)))
    {
      g_free (a->refused_pin);
      a->refused_pin = ws_tls_certificate_fingerprint (soup_message_get_tls_peer_certificate (msg));
      explain_certificate (a, error);
      return NULL;
    }
  return g_steal_pointer (&body);
}

/* The server's reason phrase is its own text: printable ASCII, bounded. */
static char *
reason_of (SoupMessage *msg)
{
  const char *phrase = soup_message_get_reason_phrase (msg);
  char *text = g_strndup (phrase != NULL ? phrase : "", 64);

  for (char *p = text; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      *p = '?';
  return text;
}

/**
 * ws_http_check_status:
 *
 * Whether @msg's response is a success (2xx); an error naming the status
 * otherwise. A refused upload has a line of its own.
 */
gboolean
ws_http_check_status (SoupMessage  *msg,
                      GError      **error)
{
  guint status = soup_message_get_status (msg);
  const char *method = soup_message_get_method (msg);
  g_autofree char *reason = NULL;

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    return TRUE;
  if ((status == SOUP_STATUS_NOT_IMPLEMENTED || status == SOUP_STATUS_METHOD_NOT_ALLOWED)
      && (g_str_equal (method, "POST") || g_str_equal (method, "PUT")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("this server does not accept uploads (%u)"), status);
      return FALSE;
    }
  reason = reason_of (msg);
  /* Translators: "The server answered 404 Not Found"; the phrase is the server's. */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The server answered %u %s"),
               status, reason);
  return FALSE;
}

static goffset
content_length (SoupMessage *msg)
{
  if (msg == NULL)
    return -1;
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    return -1;
  return soup_message_headers_get_content_length (headers);
}

static void
explain_read_error (SoupMessage  *msg,
                    GError       *cause,
                    guint64       got,
                    GError      **error)
{
  goffset promised = content_length (msg);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (cause));
  else if (promised >= 0 && (guint64) promised > got
           && !g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                 _("The body ended after %" PRIu64 " bytes of the %" PRId64
                   " its Content-Length promised"), got, (gint64) promised);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("The server stopped sending for %u s in the middle of the body, after %"
                   PRIu64 " bytes"), WS_HTTP_TIMEOUT_S, got);
  else
    /* Translators: libsoup's reason follows. */
    g_set_error (error, cause->domain, cause->code, _("Reading the body failed: %s"),
                 cause->message);
}

/**
 * ws_http_read_body:
 * @limit: read at most this many bytes (0: to the end), then stop
 * @counter: where each chunk is counted as soon as it is read
 * @got: (out): the bytes read
 *
 * Reads @body in chunks of @size. A body shorter than its Content-Length
 * is an error that says so.
 */
gboolean
ws_http_read_body (GInputStream     *body,
                   SoupMessage      *msg,
                   guint8           *buffer,
                   gsize             size,
                   guint64           limit,
                   _Atomic guint64  *counter,
                   GCancellable     *cancellable,
                   guint64          *got,
                   GError          **error)
{
  goffset promised = content_length (msg);

  *got = 0;
  for (;;)
    {
      g_autoptr(GError) cause = NULL;
      gsize want = limit != 0 ? MIN (size, limit - *got) : size;
      gssize n;

      if (want == 0)
        return TRUE;
      n = g_input_stream_read (body, buffer, want, cancellable, &cause);
      if (n > 0)
        {
          *got += n;
          atomic_fetch_add_explicit (counter, n, memory_order_relaxed);
          continue;
        }
      if (n == 0 && (promised < 0 || (guint64) promised <= *got))
        return TRUE;
      if (n == 0)
        cause = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "");
      explain_read_error (msg, cause, *got, error);
      return FALSE;
    }
}

static gdouble
span_ms (guint64 from_us,
         guint64 to_us)
{
  return from_us != 0 && to_us >= from_us ? (to_us - from_us) / 1000.0 : -1;
}

static const char *
http_version_name (SoupHTTPVersion version)
{
  switch (version)
    {
    case SOUP_HTTP_1_0:
      return "1.0";
    case SOUP_HTTP_1_1:
      return "1.1";
    case SOUP_HTTP_2_0:
      return "2";
    default:
      return NULL;
    }
}

static const char *
tls_version_name (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
      return "SSL 3.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
      return "1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
      return "1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2:
      return "1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3:
      return "1.3";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default:
      return "unknown";
    }
}

static void
set_text (char       **field,
          const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/**
 * ws_http_summary_fill:
 * @end_us: when the body's last byte was read (g_get_monotonic_time)
 *
 * @msg's phases, status and peer into @summary. Phases the request did
 * not go through (a reused connection has no DNS or connect) are -1.
 */
void
ws_http_summary_fill (WsHttpSummary *h,
                      SoupMessage   *msg,
                      gint64         end_us,
                      guint64        body_bytes)
{
  SoupMessageMetrics *m = soup_message_get_metrics (msg);
  GSocketAddress *remote = soup_message_get_remote_address (msg);
  guint64 tls_start = m ? soup_message_metrics_get_tls_start (m) : 0;
  guint64 connect_end = m ? soup_message_metrics_get_connect_end (m) : 0;
  g_autofree char *url = g_uri_to_string (soup_message_get_uri (msg));

  set_text (&h->url, url);
  h->status = soup_message_get_status (msg);
  set_text (&h->http_version, http_version_name (soup_message_get_http_version (msg)));
  g_clear_pointer (&h->remote_address, g_free);
  if (remote != NULL)
    h->remote_address = ws_address_format (remote);
  h->body_bytes = body_bytes;
  if (soup_message_get_tls_peer_certificate (msg) != NULL)
    {
      set_text (&h->tls_version, tls_version_name (soup_message_get_tls_protocol_version (msg)));
      set_text (&h->tls_cipher, soup_message_get_tls_ciphersuite_name (msg));
    }
  if (m == NULL)
    return;
  h->dns_ms = span_ms (soup_message_metrics_get_dns_start (m), soup_message_metrics_get_dns_end (m));
  h->connect_ms = span_ms (soup_message_metrics_get_connect_start (m),
                           tls_start != 0 ? tls_start : connect_end);
  h->tls_ms = span_ms (tls_start, connect_end);
  h->ttfb_ms = span_ms (soup_message_metrics_get_request_start (m),
                        soup_message_metrics_get_response_start (m));
  h->transfer_ms = span_ms (soup_message_metrics_get_response_start (m), end_us);
}
