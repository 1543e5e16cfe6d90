/* ws-cli-options.c — the command line, parsed and validated
 *
 * GOptionContext parses; this file turns the raw values into a WsTestConfig
 * or server settings and rejects what makes no sense with one line that
 * names the flag.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "ws-cli-options.h"
#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-server.h"
#include "ws-units.h"

#define MAX_TIME_S (WS_MAX_DURATION_MS / 1000)
#define MAX_CLIENTS_LIMIT 4096

typedef struct {
  gboolean client;
  gboolean server;
  gboolean version;
  gboolean json;
  gboolean verbose;
  gboolean reverse;
  gboolean bidir;
  gboolean no_latency;
  gboolean iperf3;
  gboolean no_zerocopy;
  gboolean no_gso;
  char *test;
  char *target;
  char *direction;
  char *length;
  char *bind;
  char *bitrate;
  char *rr_size;
  char *bytes;
  gboolean tls;
  gboolean allow_plaintext;
  char *tls_ca;
  char *tls_fingerprint;
  char *tls_cert;
  char *tls_key;
  char *auth_key;
  char *auth_key_file;
  char *auth_file;
  char *max_bitrate;
  char **allow;
  char **deny;
  gint rr_timeout;
  gint time;
  gint port;
  gint streams;
  gint max_clients;
  gint idle_timeout;
  gint max_per_address;
  gint max_pending_per_address;
  gint max_duration;
  gdouble interval;
  WsCliAgentRaw agent;
  WsCliCollectRaw collect;
  WsCliRelayRaw relay;
} Raw;

#define UNSET G_MININT

static void
raw_clear (Raw *raw)
{
  g_free (raw->test);
  g_free (raw->target);
  g_free (raw->direction);
  g_free (raw->length);
  g_free (raw->bind);
  g_free (raw->bitrate);
  g_free (raw->rr_size);
  g_free (raw->bytes);
  g_free (raw->tls_ca);
  g_free (raw->tls_fingerprint);
  g_free (raw->tls_cert);
  g_free (raw->tls_key);
  if (raw->auth_key != NULL)
    memset (raw->auth_key, 0, strlen (raw->auth_key));
  g_free (raw->auth_key);
  g_free (raw->auth_key_file);
  g_free (raw->auth_file);
  g_free (raw->max_bitrate);
  g_strfreev (raw->allow);
  g_strfreev (raw->deny);
  ws_cli_agent_raw_clear (&raw->agent);
  ws_cli_collect_raw_clear (&raw->collect);
  ws_cli_relay_raw_clear (&raw->relay);
}

/* The entries are copied into the context, which prints them in the order
 * added: the help text stays in one list. What a test is. */
static void
add_test_entries (GOptionContext *context,
                  Raw            *raw)
{
  const GOptionEntry entries[] = {
    { "client", 'c', 0, G_OPTION_ARG_NONE, &raw->client,
      N_("Run a test against a server (exclusive with --server)"), NULL },
    { "server", 's', 0, G_OPTION_ARG_NONE, &raw->server,
      N_("Serve tests for clients, headless (exclusive with --client)"), NULL },
    { "version", 'v', 0, G_OPTION_ARG_NONE, &raw->version,
      N_("Print the version and exit"), NULL },
    { "test", 0, 0, G_OPTION_ARG_STRING, &raw->test,
      N_("Test mode: TCP_STREAM (default), TCP_RR, UDP_STREAM, UDP_RR, SPEED, HTTP"), N_("TEST") },
    { "target", 't', 0, G_OPTION_ARG_STRING, &raw->target,
      N_("Server to test against, name or address (default: localhost); HTTP: a URL, "
         "and an http:// or https:// target means --test HTTP"), N_("HOST") },
    { "time", 0, 0, G_OPTION_ARG_INT, &raw->time,
      N_("Test duration in seconds (default: 30; SPEED: 10 per phase)"), N_("SECONDS") },
    { "bytes", 'n', 0, G_OPTION_ARG_STRING, &raw->bytes,
      N_("TCP_STREAM/UDP_STREAM/HTTP: send exactly this many payload bytes per direction, all streams together, then stop; K/M/G suffixes (decimal); --time is then the limit (default: 3600)"),
      N_("SIZE") },
    { "port", 'p', 0, G_OPTION_ARG_INT, &raw->port,
      N_("TCP port to connect to or listen on (default: 5201)"), N_("PORT") },
    { "streams", 'P', 0, G_OPTION_ARG_INT, &raw->streams,
      N_("Parallel data streams, 1–128 (default: 1; SPEED: 4)"), N_("N") },
    { "reverse", 'R', 0, G_OPTION_ARG_NONE, &raw->reverse,
      N_("Download: the server sends, the client receives"), NULL },
    { "bidir", 0, 0, G_OPTION_ARG_NONE, &raw->bidir,
      N_("Upload and download at the same time"), NULL },
    { "direction", 0, 0, G_OPTION_ARG_STRING, &raw->direction,
      N_("upload, download (as --reverse) or bidir (as --bidir); default: upload, "
         "HTTP: download (GET), upload is a POST of generated data"), N_("DIR") },
    { "length", 'l', 0, G_OPTION_ARG_STRING, &raw->length,
      N_("Bytes per write or datagram, K/M suffixes (default: 128K TCP, 1448 UDP)"), N_("BYTES") },
    { "bitrate", 'b', 0, G_OPTION_ARG_STRING, &raw->bitrate,
      N_("UDP_STREAM: bits/s per stream, K/M/G suffixes, 0 = as fast as possible (default: 10M)"),
      N_("RATE") },
    { "rr-size", 0, 0, G_OPTION_ARG_STRING, &raw->rr_size,
      N_("TCP_RR/UDP_RR: request and response bytes (default: 1,1)"), N_("REQ,RESP") },
    { "rr-timeout", 0, 0, G_OPTION_ARG_INT, &raw->rr_timeout,
      N_("UDP_RR: count a request lost after this many ms (default: adaptive, 4× the worst RTT)"),
      N_("MS") },
    { "interval", 'i', 0, G_OPTION_ARG_DOUBLE, &raw->interval,
      N_("Seconds between interval reports, 0.1–3600 (default: 1)"), N_("SECONDS") },
    { "no-latency", 0, 0, G_OPTION_ARG_NONE, &raw->no_latency,
      N_("Throughput tests: skip the idle and loaded latency probes"), NULL },
    { "iperf3", 0, 0, G_OPTION_ARG_NONE, &raw->iperf3,
      N_("Client: the server is iperf3 3.x (TCP_STREAM, UDP_STREAM, SPEED); without it, one is recognised after a second"), NULL },
    { "no-zerocopy", 0, 0, G_OPTION_ARG_NONE, &raw->no_zerocopy,
      N_("TCP: copy every write from memory instead of sending by reference (sendfile); a server applies it to all its tests"), NULL },
    { "no-gso", 0, 0, G_OPTION_ARG_NONE, &raw->no_gso,
      N_("UDP_STREAM: no segmentation offload (GSO) when sending, no receive offload (GRO) when receiving; a server applies it to all its tests"), NULL },
    { "json", 'J', 0, G_OPTION_ARG_NONE, &raw->json,
      N_("Print the result as JSON when the test ends"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

static void
add_server_entries (GOptionContext *context,
                    Raw            *raw)
{
  const GOptionEntry entries[] = {
    { "bind", 'B', 0, G_OPTION_ARG_STRING, &raw->bind,
      N_("Server: listen on this address only (default: all IPv4 and IPv6)"), N_("ADDR") },
    { "max-clients", 0, 0, G_OPTION_ARG_INT, &raw->max_clients,
      N_("Server: tests run at the same time (default: 32)"), N_("N") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &raw->idle_timeout,
      N_("Server: drop a client silent this long (default: 45)"), N_("SECONDS") },
    { "allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &raw->allow,
      N_("Server: serve only this address or network, e.g. 192.0.2.0/24 or 2001:db8::/32; "
         "repeatable (default: every address)"), N_("CIDR") },
    { "deny", 0, 0, G_OPTION_ARG_STRING_ARRAY, &raw->deny,
      N_("Server: refuse this address or network, even where --allow matches; repeatable"),
      N_("CIDR") },
    { "max-per-address", 0, 0, G_OPTION_ARG_INT, &raw->max_per_address,
      N_("Server: tests one client address may run at the same time (default: no limit)"),
      N_("N") },
    { "max-pending-per-address", 0, 0, G_OPTION_ARG_INT, &raw->max_pending_per_address,
      N_("Server: connections one client address may hold before its test starts; "
         "more are closed at once (default: 128)"), N_("N") },
    { "max-duration", 0, 0, G_OPTION_ARG_INT, &raw->max_duration,
      N_("Server: shorten longer tests to this many seconds (default: no limit)"), N_("SECONDS") },
    { "max-bitrate", 0, 0, G_OPTION_ARG_STRING, &raw->max_bitrate,
      N_("Server: slow UDP_STREAM tests to this many bits/s, all streams together, "
         "K/M/G suffixes (default: no limit)"), N_("RATE") },
    { "verbose", 'V', 0, G_OPTION_ARG_NONE, &raw->verbose,
      N_("Server: log every session to standard error"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/* TLS and keys, both ends. */
static void
add_security_entries (GOptionContext *context,
                      Raw            *raw)
{
  const GOptionEntry entries[] = {
    { "tls", 0, 0, G_OPTION_ARG_NONE, &raw->tls,
      N_("Client: encrypt the control connection with TLS, checking the server against the system's CAs"), NULL },
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &raw->tls_ca,
      N_("Client: trust the CA certificates in this PEM file instead (implies --tls)"), N_("FILE") },
    { "tls-fingerprint", 0, 0, G_OPTION_ARG_STRING, &raw->tls_fingerprint,
      N_("Client: accept only the server certificate with this SHA-256 fingerprint, as the server prints it (implies --tls)"),
      N_("SHA256") },
    { "auth-key", 0, 0, G_OPTION_ARG_STRING, &raw->auth_key,
      N_("Client: authenticate with this key (visible to other users in the process list; prefer --auth-key-file)"),
      N_("NAME:SECRET") },
    { "auth-key-file", 0, 0, G_OPTION_ARG_FILENAME, &raw->auth_key_file,
      N_("Client: read the NAME:SECRET key from this file (mode 600)"), N_("FILE") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &raw->tls_cert,
      N_("Server: TLS certificate (PEM); the server prints its fingerprint for clients to pin"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &raw->tls_key,
      N_("Server: the certificate's private key (PEM)"), N_("FILE") },
    { "allow-plaintext", 0, 0, G_OPTION_ARG_NONE, &raw->allow_plaintext,
      N_("Server: with --tls-cert, also serve clients that do not use TLS"), NULL },
    { "auth-file", 0, 0, G_OPTION_ARG_FILENAME, &raw->auth_file,
      N_("Server: require a key from this file, one NAME:SECRET per line (mode 600)"), N_("FILE") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

static GOptionContext *
build_context (Raw *raw)
{
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_summary (context,
    _("Measure network throughput between two machines.\n"
      "\n"
      "With no options, opens the desktop app. On the other machine run\n"
      "“wirespeed --server”; then test against it with “wirespeed --client”."));
  g_option_context_set_description (context,
    _("Examples:\n"
      "  wirespeed --server\n"
      "  wirespeed --client --target server.example --time 10\n"
      "  wirespeed --client --target 192.0.2.7 --reverse --streams 4\n"
      "  wirespeed --client --target ::1 --bidir --json > result.json\n"
      "  wirespeed --client --target https://example.org/file --streams 4\n"
      "  wirespeed --server --tls-cert cert.pem --tls-key key.pem --auth-file keys\n"
      "  wirespeed --client --target server.example --tls-fingerprint AB:CD:… --auth-key-file key\n"
      "  wirespeed --analyze --db reports.db --since 7d   (see wirespeed --analyze --help)\n"
      "\n"
      "Exit status: 0 success, 1 the test failed, 2 invalid command line."));
  add_test_entries (context, raw);
  add_server_entries (context, raw);
  add_security_entries (context, raw);
  ws_cli_agent_add_entries (context, &raw->agent);
  ws_cli_collect_add_entries (context, &raw->collect);
  ws_cli_relay_add_entries (context, &raw->relay);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

char *
ws_cli_options_help (void)
{
  Raw raw = { 0 };
  g_autoptr(GOptionContext) context = build_context (&raw);

  return g_option_context_get_help (context, TRUE, NULL);
}

static gboolean
usage (GError     **error,
       const char  *format,
       ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage (GError     **error,
       const char  *format,
       ...)
{
  va_list args;

  va_start (args, format);
  *error = g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
check_range (const char  *flag,
             gint         value,
             gint         min,
             gint         max,
             GError     **error)
{
  if (value == UNSET || (value >= min && value <= max))
    return TRUE;
  return usage (error, _("%s must be between %d and %d, not %d"), flag, min, max, value);
}

static gboolean
pick_mode (WsCliOptions  *options,
           const Raw     *raw,
           GError       **error)
{
  if (raw->client + raw->server + raw->agent.agent + raw->relay.relay > 1)
    return usage (error, _("--client, --server, --agent and --relay are mutually exclusive"));
  if (raw->target != NULL && !raw->client && !raw->agent.agent)
    return usage (error, _("--target is only valid with --client or --agent"));
  if (raw->version)
    options->mode = WS_CLI_MODE_VERSION;
  else if (raw->client)
    options->mode = WS_CLI_MODE_CLIENT;
  else if (raw->server)
    options->mode = WS_CLI_MODE_SERVER;
  else if (raw->agent.agent)
    options->mode = WS_CLI_MODE_AGENT;
  else if (raw->relay.relay)
    options->mode = WS_CLI_MODE_RELAY;
  else
    return usage (error, _("Choose --client, --server or --agent (or run without options for the desktop app)"));

  if (raw->reverse && raw->bidir)
    return usage (error, _("--reverse and --bidir are mutually exclusive"));
  return TRUE;
}

static gboolean
fill_rates (WsTestConfig  *t,
            const Raw     *raw,
            GError       **error)
{
  if (raw->bitrate != NULL && !ws_parse_rate (raw->bitrate, &t->bitrate))
    return usage (error, _("--bitrate must be a rate like 500K, 100M or 1G (0 = unlimited), not “%s”"),
                  raw->bitrate);
  if (raw->rr_size != NULL)
    {
      guint64 req, resp;
      g_auto(GStrv) parts = g_strsplit (raw->rr_size, ",", 2);

      if (g_strv_length (parts) != 2 || !ws_parse_size (parts[0], &req)
          || !ws_parse_size (parts[1], &resp) || req > WS_MAX_RR_SIZE || resp > WS_MAX_RR_SIZE)
        return usage (error, _("--rr-size must be two sizes REQ,RESP of 1–65507 bytes, not “%s”"),
                      raw->rr_size);
      t->rr_request_size = req;
      t->rr_response_size = resp;
    }
  if (!check_range ("--rr-timeout", raw->rr_timeout, 1, 60000, error))
    return FALSE;
  if (raw->rr_timeout != UNSET)
    t->rr_timeout_ms = raw->rr_timeout;
  return TRUE;
}

/* Runs after the mode, streams and length are known. */
static gboolean
fill_bytes (WsTestConfig  *t,
            const Raw     *raw,
            GError       **error)
{
  gboolean udp = t->mode == WS_TEST_UDP_STREAM;

  if (raw->bytes == NULL)
    return TRUE;
  if (!ws_parse_decimal_size (raw->bytes, &t->bytes))
    return usage (error, _("--bytes must be a size like 10M or 1.5G (decimal: 1K = 1000 bytes), not “%s”"),
                  raw->bytes);
  if (t->mode != WS_TEST_TCP_STREAM && !udp && t->mode != WS_TEST_HTTP)
    return usage (error, _("--bytes works with --test TCP_STREAM, UDP_STREAM and HTTP only"));
  if (t->bytes / t->streams < (udp ? WS_UDP_HEADER_SIZE : 1))
    return usage (error, _("--bytes must give each stream at least %u bytes, not %s over %u streams"),
                  udp ? WS_UDP_HEADER_SIZE : 1, raw->bytes, t->streams);
  if (udp && t->length != 0 && t->length < 2 * WS_UDP_HEADER_SIZE)
    return usage (error, _("--length must be at least 48 bytes with --bytes and UDP_STREAM"));
  /* A fixed size ends by itself: --time only bounds how long it may take. */
  if (raw->time == UNSET)
    t->duration_s = WS_DEFAULT_BYTES_LIMIT_S;
  return TRUE;
}

static gboolean
fill_client_security (WsTestConfig  *t,
                      const Raw     *raw,
                      GError       **error)
{
  guint8 digest[32];
  g_autoptr(GError) local_error = NULL;

  if (raw->tls_fingerprint != NULL && !ws_tls_fingerprint_parse (raw->tls_fingerprint, digest))
    return usage (error, _("--tls-fingerprint must be a SHA-256 fingerprint, 64 hex digits (colons optional), not “%s”"),
                  raw->tls_fingerprint);
  t->tls = raw->tls || raw->tls_ca != NULL || raw->tls_fingerprint != NULL;
  t->tls_ca_file = g_strdup (raw->tls_ca);
  t->tls_fingerprint = g_strdup (raw->tls_fingerprint);
  if (raw->auth_key != NULL && raw->auth_key_file != NULL)
    return usage (error, _("--auth-key and --auth-key-file are mutually exclusive"));
  if (raw->auth_key != NULL && !ws_auth_parse_key (raw->auth_key, &t->auth_name, &t->auth_secret, &local_error))
    return usage (error, _("--auth-key: %s"), local_error->message);
  if (raw->auth_key_file != NULL
      && !ws_auth_read_key_file (raw->auth_key_file, &t->auth_name, &t->auth_secret, &local_error))
    return usage (error, _("--auth-key-file: %s"), local_error->message);
  return TRUE;
}

static gboolean
is_url (const char *target)
{
  return target != NULL && (g_str_has_prefix (target, "http://")
                            || g_str_has_prefix (target, "https://"));
}

static gboolean
parse_direction (const char  *text,
                 WsDirection *direction)
{
  for (WsDirection d = WS_DIRECTION_UPLOAD; d <= WS_DIRECTION_BIDIR; d++)
    if (g_ascii_strcasecmp (text, ws_direction_to_string (d)) == 0)
      {
        *direction = d;
        return TRUE;
      }
  return FALSE;
}

/* --direction says in a word what --reverse and --bidir say in a flag;
 * an HTTP test downloads unless told otherwise, like a browser. */
static gboolean
fill_direction (WsTestConfig  *t,
                const Raw     *raw,
                GError       **error)
{
  WsDirection d;

  t->direction = raw->bidir ? WS_DIRECTION_BIDIR
                 : raw->reverse || t->mode == WS_TEST_HTTP ? WS_DIRECTION_DOWNLOAD
                 : WS_DIRECTION_UPLOAD;
  if (raw->direction == NULL)
    return TRUE;
  if (!parse_direction (raw->direction, &d))
    return usage (error, _("--direction must be upload, download or bidir, not “%s”"),
                  raw->direction);
  if ((raw->reverse && d != WS_DIRECTION_DOWNLOAD) || (raw->bidir && d != WS_DIRECTION_BIDIR))
    return usage (error, _("--direction %s contradicts %s"), raw->direction,
                  raw->reverse ? "--reverse" : "--bidir");
  t->direction = d;
  return TRUE;
}

/* What an HTTP test takes from the URL, and the flags that mean nothing
 * to a web server. */
static gboolean
check_http (WsTestConfig  *t,
            const Raw     *raw,
            GError       **error)
{
  gboolean https = raw->target != NULL && g_str_has_prefix (raw->target, "https://");

  if (t->mode != WS_TEST_HTTP)
    return TRUE;
  if (!is_url (raw->target))
    return usage (error, _("--test HTTP needs a URL: --target http://HOST/PATH or https://…"));
  if (raw->port != UNSET)
    return usage (error, _("--port does not apply to HTTP: put the port in the URL"));
  if (t->direction == WS_DIRECTION_BIDIR)
    return usage (error, _("--test HTTP goes one way: --direction download (the default) or upload"));
  if (t->tls && !https)
    return usage (error, _("--tls, --tls-ca and --tls-fingerprint need an https:// URL"));
  if (t->auth_name != NULL || raw->iperf3)
    return usage (error, _("--auth-key and --iperf3 do not apply to HTTP"));
  /* A web server decides its own write sizes and pace, and has no
   * request/response mode: such a flag would be silently ignored. */
  if (raw->length != NULL || raw->bitrate != NULL || raw->rr_size != NULL || raw->rr_timeout != UNSET)
    return usage (error, _("--length, --bitrate, --rr-size and --rr-timeout do not apply to HTTP"));
  t->tls = https;
  return TRUE;
}

static gboolean
fill_client (WsCliOptions  *options,
             const Raw     *raw,
             GError       **error)
{
  WsTestConfig *t = &options->test;
  guint64 length;

  if (raw->test != NULL && !ws_test_mode_from_string (raw->test, &t->mode))
    return usage (error, _("--test must be TCP_STREAM, TCP_RR, UDP_STREAM, UDP_RR, SPEED or HTTP, not “%s”"),
                  raw->test);
  if (raw->test == NULL && is_url (raw->target))
    t->mode = WS_TEST_HTTP;
  if (raw->target != NULL)
    {
      if (*raw->target == '\0')
        return usage (error, _("--target must not be empty"));
      g_free (t->target);
      t->target = g_strdup (raw->target);
    }
  if (!check_range ("--time", raw->time, 1, MAX_TIME_S, error)
      || !check_range ("--streams", raw->streams, 1, WS_MAX_STREAMS, error))
    return FALSE;
  /* The speed test's defaults: 10 s per phase, 4 streams; HTTP's 10 s. */
  if (t->mode == WS_TEST_SPEED)
    {
      t->duration_s = 10;
      t->streams = 4;
    }
  if (t->mode == WS_TEST_HTTP)
    t->duration_s = 10;
  if (raw->time != UNSET)
    t->duration_s = raw->time;
  if (raw->streams != UNSET)
    t->streams = raw->streams;
  t->latency_probe = !raw->no_latency;
  t->iperf3 = raw->iperf3;
  t->no_zerocopy = raw->no_zerocopy;
  t->no_gso = raw->no_gso;
  if (raw->length != NULL)
    {
      if (!ws_parse_size (raw->length, &length) || length > WS_MAX_LENGTH)
        return usage (error, _("--length must be a size between 1 and 16M bytes, not “%s”"),
                      raw->length);
      t->length = length;
    }
  if (!isnan (raw->interval))
    {
      if (!(raw->interval >= 0.1 && raw->interval <= 3600))
        return usage (error, _("--interval must be between 0.1 and 3600 seconds"));
      t->interval_ms = (guint) (raw->interval * 1000 + 0.5);
    }
  return fill_direction (t, raw, error) && fill_rates (t, raw, error)
         && fill_bytes (t, raw, error) && fill_client_security (t, raw, error)
         && check_http (t, raw, error);
}

static gboolean
load_certificate (WsCliOptions  *options,
                  const Raw     *raw,
                  GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  if ((raw->tls_cert != NULL) != (raw->tls_key != NULL))
    return usage (error, _("--tls-cert and --tls-key go together"));
  if (raw->allow_plaintext && raw->tls_cert == NULL)
    return usage (error, _("--allow-plaintext only makes sense with --tls-cert"));
  if (raw->tls_cert == NULL)
    return TRUE;
  if (!ws_tls_check_available (error))
    return FALSE;
  options->tls_certificate = g_tls_certificate_new_from_files (raw->tls_cert, raw->tls_key, &local_error);
  if (options->tls_certificate == NULL)
    return usage (error, _("--tls-cert/--tls-key: %s"), local_error->message);
  options->allow_plaintext = raw->allow_plaintext;
  return TRUE;
}

static gboolean
fill_server_security (WsCliOptions  *options,
                      const Raw     *raw,
                      GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!load_certificate (options, raw, error))
    return FALSE;
  if (raw->auth_file == NULL)
    return TRUE;
  options->auth = ws_auth_new_from_file (raw->auth_file, &local_error);
  if (options->auth == NULL)
    return usage (error, _("--auth-file: %s"), local_error->message);
  return TRUE;
}

static gboolean
add_rules (WsAcl        *acl,
           const char   *flag,
           char * const *cidrs,
           gboolean      deny,
           GError      **error)
{
  for (guint i = 0; cidrs != NULL && cidrs[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!(deny ? ws_acl_deny : ws_acl_allow) (acl, cidrs[i], &local_error))
        return usage (error, "%s: %s", flag, local_error->message);
    }
  return TRUE;
}

/* Who may test, and how much. */
static gboolean
fill_limits (WsCliOptions  *options,
             const Raw     *raw,
             GError       **error)
{
  g_autoptr(WsAcl) acl = ws_acl_new ();

  if (!check_range ("--max-per-address", raw->max_per_address, 1, MAX_CLIENTS_LIMIT, error)
      || !check_range ("--max-pending-per-address", raw->max_pending_per_address, 1,
                       MAX_CLIENTS_LIMIT, error)
      || !check_range ("--max-duration", raw->max_duration, 1, MAX_TIME_S, error)
      || !add_rules (acl, "--allow", raw->allow, FALSE, error)
      || !add_rules (acl, "--deny", raw->deny, TRUE, error))
    return FALSE;
  if (raw->max_bitrate != NULL
      && (!ws_parse_rate (raw->max_bitrate, &options->max_bitrate) || options->max_bitrate == 0))
    return usage (error, _("--max-bitrate must be a rate like 500K, 100M or 1G, not “%s”"),
                  raw->max_bitrate);
  if (raw->allow != NULL || raw->deny != NULL)
    options->acl = g_steal_pointer (&acl);
  if (raw->max_per_address != UNSET)
    options->max_per_address = raw->max_per_address;
  if (raw->max_pending_per_address != UNSET)
    options->max_pending_per_address = raw->max_pending_per_address;
  if (raw->max_duration != UNSET)
    options->max_duration_s = raw->max_duration;
  return TRUE;
}

static gboolean
fill_server (WsCliOptions  *options,
             const Raw     *raw,
             GError       **error)
{
  gboolean relay = options->mode == WS_CLI_MODE_RELAY;

  if ((options->mode == WS_CLI_MODE_SERVER || relay) && !fill_server_security (options, raw, error))
    return FALSE;
  if (!check_range ("--max-clients", raw->max_clients, 1, MAX_CLIENTS_LIMIT, error)
      || !check_range ("--idle-timeout", raw->idle_timeout, 1, 86400, error))
    return FALSE;
  if (raw->max_clients != UNSET)
    options->max_clients = raw->max_clients;
  if (raw->idle_timeout != UNSET)
    options->idle_timeout_s = raw->idle_timeout;
  if (raw->bind != NULL)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (raw->bind);

      if (address == NULL)
        return usage (error, _("--bind must be an IPv4 or IPv6 address, not “%s”"), raw->bind);
      options->bind_address = g_strdup (raw->bind);
    }
  return fill_limits (options, raw, error)
         && ws_cli_collect_fill (&options->collect, &raw->collect, options->mode == WS_CLI_MODE_SERVER,
                                 relay, options->tls_certificate != NULL && options->auth != NULL, error)
         && ws_cli_relay_fill (options, &raw->relay, &raw->agent, error);
}

static void
options_init (WsCliOptions *options,
              Raw          *raw)
{
  memset (options, 0, sizeof *options);
  ws_test_config_init (&options->test);
  options->port = WS_DEFAULT_PORT;
  options->max_clients = WS_DEFAULT_MAX_CLIENTS;
  options->idle_timeout_s = WS_DEFAULT_IDLE_TIMEOUT_S;
  options->max_pending_per_address = WS_DEFAULT_MAX_PENDING_PER_ADDRESS;

  memset (raw, 0, sizeof *raw);
  raw->time = raw->port = raw->streams = raw->max_clients = raw->idle_timeout = UNSET;
  raw->rr_timeout = raw->max_per_address = raw->max_duration = UNSET;
  raw->max_pending_per_address = UNSET;
  raw->interval = NAN;
  ws_cli_agent_raw_init (&raw->agent);
  ws_cli_collect_raw_init (&raw->collect);
}

/* iperf3's hands type "-c HOST" or "-c HOST:PORT"; here the server has a
 * flag of its own, so say which. */
static gboolean
unexpected_argument (const Raw   *raw,
                     const char  *arg,
                     GError     **error)
{
  g_autoptr(GSocketConnectable) address = NULL;
  const char *host;
  guint16 port;

  if (!raw->client || raw->target != NULL)
    return usage (error, _("Unexpected argument “%s”"), arg);
  address = g_network_address_parse (arg, 0, NULL);
  if (address == NULL)
    return usage (error, _("Unexpected argument “%s”"), arg);
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (address));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  if (port != 0)
    return usage (error, _("Unexpected argument “%s”: give the server as --target %s --port %u"),
                  arg, host, port);
  return usage (error, _("Unexpected argument “%s”: give the server as --target %s"), arg, host);
}

gboolean
ws_cli_options_parse (WsCliOptions  *options,
                      int            argc,
                      char         **argv,
                      GError       **error)
{
  g_auto(GStrv) args = g_strdupv (argv);
  g_autoptr(GOptionContext) context = NULL;
  Raw raw;
  gboolean ok;

  options_init (options, &raw);
  context = build_context (&raw);
  g_option_context_set_help_enabled (context, TRUE);

  ok = g_option_context_parse_strv (context, &args, error);
  if (ok && g_strv_length (args) > 1)
    ok = unexpected_argument (&raw, args[1], error);
  ok = ok && pick_mode (options, &raw, error)
       && check_range ("--port", raw.port, options->mode == WS_CLI_MODE_SERVER
                       || options->mode == WS_CLI_MODE_RELAY ? 0 : 1, 65535, error)
       && fill_client (options, &raw, error)
       && fill_server (options, &raw, error);
  if (ok && raw.port != UNSET)
    options->port = options->test.port = raw.port;
  ok = ok && (options->mode != WS_CLI_MODE_AGENT
              || ws_cli_agent_fill (options, &raw.agent, raw.tls, raw.target != NULL, error));
  options->json = raw.json;
  options->verbose = raw.verbose;
  raw_clear (&raw);
  return ok;
}

void
ws_cli_options_clear (WsCliOptions *options)
{
  ws_test_config_clear (&options->test);
  g_clear_pointer (&options->bind_address, g_free);
  g_clear_object (&options->tls_certificate);
  g_clear_pointer (&options->auth, ws_auth_unref);
  g_clear_pointer (&options->acl, ws_acl_unref);
  g_clear_pointer (&options->agent, ws_agent_config_free);
  ws_cli_collect_clear (&options->collect);
  g_clear_pointer (&options->blocked, g_strfreev);
}
