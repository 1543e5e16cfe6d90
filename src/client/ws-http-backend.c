/* ws-http-backend.c — tests against any web server, in HTTP
 *
 * The target is a URL. One phase: a HEAD finds where the URL leads
 * (redirects followed here, at most 10), whether the server honours Range
 * and answers HEAD at all; an upload first asks whether POST is taken;
 * then the load (ws-http-load.c) measures, with idle and loaded latency
 * from its own HEAD requests, so the plan runs no idle probe of ours.
 *
 * A Wirespeed server's root (it says "Server: wirespeed/…") is its
 * browser page: the test uses the endpoints of docs/PROTOCOL.md section
 * 9.2 instead, /download (as long as any test, with Range), /upload and
 * /ping.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-http-backend.h"
#include "ws-http-load.h"
#include "ws-http-request.h"

struct _WsHttpBackend {
  GObject parent_instance;

  WsClientBackendSetup setup;
};

static void client_backend_iface_init (WsClientBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsHttpBackend, ws_http_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_CLIENT_BACKEND,
                                                      client_backend_iface_init))

static WsPeerKind
ws_http_backend_identify (WsClientBackend  *backend,
                          GError          **error)
{
  const WsClientEvents *events = &WS_HTTP_BACKEND (backend)->setup.events;

  events->peer (WS_PEER_HTTP, events->user_data);
  return WS_PEER_HTTP;
}

static gboolean
ws_http_backend_check (WsClientBackend     *backend,
                       const WsTestConfig  *config,
                       GError             **error)
{
  g_autoptr(GUri) uri = ws_http_parse_url (config->target, error);

  if (uri == NULL)
    return FALSE;
  if (config->direction == WS_DIRECTION_BIDIR)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("An HTTP test goes one way: download or upload"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
ws_http_backend_has_idle_probe (WsClientBackend *backend)
{
  return FALSE;
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Who answered, as the result's header names it. */
static void
note_peer (WsResult    *r,
           SoupMessage *msg,
           GUri        *uri)
{
  GSocketAddress *remote = soup_message_get_remote_address (msg);
  gint port = g_uri_get_port (uri);

  g_free (r->remote_address);
  r->remote_address = remote != NULL
    ? g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))
    : g_strdup (g_uri_get_host (uri));
  r->port = port > 0 ? port : g_str_equal (g_uri_get_scheme (uri), "https") ? 443 : 80;
}

/* The next hop of a redirect, or NULL with the reason. */
static GUri *
follow (WsHttpBackend *self,
        SoupMessage   *msg,
        GUri          *uri,
        guint          hops,
        GError       **error)
{
  const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                       "Location");

  if (location == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The server answered %u, a redirect, without saying where to"),
                   soup_message_get_status (msg));
      return NULL;
    }
  if (hops == WS_HTTP_MAX_REDIRECTS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                   g_dngettext (GETTEXT_PACKAGE, "More than %u redirect from %s: a redirect loop?",
                                "More than %u redirects from %s: a redirect loop?",
                                WS_HTTP_MAX_REDIRECTS),
                   WS_HTTP_MAX_REDIRECTS, self->setup.config.target);
      return NULL;
    }
  return ws_http_parse_location (uri, location, error);
}

/* The largest /download a Wirespeed server serves: a timed test cuts it. */
#define WIRESPEED_DOWNLOAD "/download?bytes=100000000000"

/* Whether @msg came from our own server's root, its browser page. */
static gboolean
is_wirespeed_root (SoupMessage *msg,
                   GUri        *uri)
{
  const char *server = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Server");
  const char *path = g_uri_get_path (uri);

  return server != NULL && g_str_has_prefix (server, "wirespeed/")
         && (*path == '\0' || strcmp (path, "/") == 0) && g_uri_get_query (uri) == NULL;
}

/* Our own server's root: its endpoints for the load and the probe. */
static GUri *
use_endpoints (WsHttpBackend   *self,
               GUri            *uri,
               WsHttpLoadSetup *setup)
{
  g_autofree char *where = NULL;

  setup->ranges = TRUE;
  setup->probe_uri = g_uri_parse_relative (uri, "/ping", SOUP_HTTP_URI_FLAGS, NULL);
  where = ws_http_uri_describe (uri);
  self->setup.events.notice (g_strdup_printf (_("%s is a Wirespeed server: testing with its "
                                                "/download, /upload and /ping"), where),
                             self->setup.events.user_data);
  return g_uri_parse_relative (uri, setup->upload ? "/upload" : WIRESPEED_DOWNLOAD,
                               SOUP_HTTP_URI_FLAGS, NULL);
}

/* Where @uri leads, and what the server there does: Range, HEAD. */
static GUri *
resolve (WsHttpBackend    *self,
         WsHttpAgent      *agent,
         GUri             *start,
         WsHttpLoadSetup  *setup,
         WsResult         *r,
         gboolean         *wirespeed,
         GError          **error)
{
  g_autoptr(GUri) uri = g_uri_ref (start);

  for (guint hops = 0;; hops++)
    {
      g_autoptr(SoupMessage) msg = ws_http_agent_message (agent, "HEAD", uri);
      g_autoptr(GInputStream) body = ws_http_agent_send (agent, msg, self->setup.stop, error);
      guint status;
      const char *ranges;

      if (body == NULL)
        return NULL;
      g_input_stream_close (body, NULL, NULL);
      note_peer (r, msg, uri);
      status = soup_message_get_status (msg);
      if (is_redirect (status))
        {
          GUri *next = follow (self, msg, uri, hops, error);

          if (next == NULL)
            return NULL;
          g_uri_unref (uri);
          uri = next;
          continue;
        }
      /* No HEAD here: the GET will tell whether the URL works. */
      if (status == SOUP_STATUS_METHOD_NOT_ALLOWED || status == SOUP_STATUS_NOT_IMPLEMENTED)
        return g_steal_pointer (&uri);
      if (!ws_http_check_status (msg, error))
        return NULL;
      ranges = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                             "Accept-Ranges");
      setup->ranges = ranges != NULL && g_ascii_strcasecmp (ranges, "bytes") == 0;
      setup->probe = TRUE;
      *wirespeed = is_wirespeed_root (msg, uri);
      return g_steal_pointer (&uri);
    }
}

/* An empty POST first: a server that refuses uploads says so before any
 * data is sent, and its answer cannot be lost to a reset of the upload. */
static gboolean
check_upload (WsHttpBackend  *self,
              WsHttpAgent    *agent,
              GUri           *uri,
              GError        **error)
{
  g_autoptr(SoupMessage) msg = ws_http_agent_message (agent, "POST", uri);
  g_autoptr(GInputStream) body = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", NULL);
  body = ws_http_agent_send (agent, msg, self->setup.stop, error);
  if (body == NULL)
    return FALSE;
  g_input_stream_close (body, NULL, NULL);
  return ws_http_check_status (msg, error);
}

static GUri *
prepare (WsHttpBackend       *self,
         const WsTestConfig  *config,
         WsHttpLoadSetup     *setup,
         WsResult            *r,
         GError             **error)
{
  g_autoptr(GUri) start = ws_http_parse_url (config->target, error);
  g_autoptr(WsHttpAgent) agent = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  gboolean wirespeed = FALSE;

  if (start == NULL || (agent = ws_http_agent_new (config, error)) == NULL)
    return NULL;
  uri = resolve (self, agent, start, setup, r, &wirespeed, error);
  if (uri == NULL)
    return NULL;
  /* Once, where it led: a line per hop would repeat a loop's ten. */
  from = g_uri_to_string (start);
  to = g_uri_to_string (uri);
  if (strcmp (from, to) != 0)
    self->setup.events.notice (g_strdup_printf (_("%s redirects to %s"), from, to),
                               self->setup.events.user_data);
  if (wirespeed)
    {
      GUri *endpoint = use_endpoints (self, uri, setup);

      g_uri_unref (uri);
      uri = endpoint;
    }
  if (setup->upload && !check_upload (self, agent, uri, error))
    return NULL;
  return g_steal_pointer (&uri);
}

static WsResult *
ws_http_backend_run_phase (WsClientBackend  *backend,
                           const WsPhase    *phase,
                           GError          **error)
{
  WsHttpBackend *self = WS_HTTP_BACKEND (backend);
  g_autoptr(WsResult) r = ws_client_result_new (phase->config);
  WsHttpLoadSetup setup = { phase->config };
  g_autoptr(GUri) uri = NULL;
  gboolean ok;

  setup.upload = phase->config->direction == WS_DIRECTION_UPLOAD;
  setup.stop = self->setup.stop;
  setup.on_sample = phase->on_sample;
  setup.user_data = phase->user_data;
  r->start_time = g_date_time_new_now_utc ();
  r->peer_protocol = g_strdup ("http");
  uri = prepare (self, phase->config, &setup, r, error);
  if (uri == NULL)
    {
      g_clear_pointer (&setup.probe_uri, g_uri_unref);
      return NULL;
    }
  setup.uri = uri;
  if (setup.probe_uri == NULL)
    setup.probe_uri = g_uri_ref (uri);
  setup.probe &= phase->config->latency_probe;
  if (setup.probe)
    /* A JSON value (latency_method): English, as every key and value there. */
    r->latency_method = g_strdup ("HTTP: HEAD requests on a connection of their own; "
                                  "idle = 20 before the load (2 s at most), loaded = one every 15 ms "
                                  "during it");
  ok = ws_http_load_run (&setup, r, error);
  g_uri_unref (setup.probe_uri);
  return ok ? g_steal_pointer (&r) : NULL;
}

static void
client_backend_iface_init (WsClientBackendInterface *iface)
{
  iface->identify = ws_http_backend_identify;
  iface->check = ws_http_backend_check;
  iface->has_idle_probe = ws_http_backend_has_idle_probe;
  iface->run_phase = ws_http_backend_run_phase;
}

static void
ws_http_backend_finalize (GObject *object)
{
  WsHttpBackend *self = WS_HTTP_BACKEND (object);

  ws_client_backend_setup_clear (&self->setup);

  G_OBJECT_CLASS (ws_http_backend_parent_class)->finalize (object);
}

static void
ws_http_backend_class_init (WsHttpBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_http_backend_finalize;
}

static void
ws_http_backend_init (WsHttpBackend *self)
{
}

WsClientBackend *
ws_http_backend_new (const WsTestConfig   *config,
                     GCancellable         *stop,
                     const WsClientEvents *events)
{
  WsHttpBackend *self = g_object_new (WS_TYPE_HTTP_BACKEND, NULL);

  ws_client_backend_setup_init (&self->setup, config, stop, events);
  return WS_CLIENT_BACKEND (self);
}
