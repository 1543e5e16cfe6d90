/* ws-http-load.h — an HTTP test's load and its latency probe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-client-backend.h"

G_BEGIN_DECLS

/* What the backend learnt of the server before the load. */
typedef struct {
  const WsTestConfig *config;
  GUri *uri;               /* what the load requests: the URL, after redirects */
  GUri *probe_uri;         /* what the latency probe asks for (HEAD) */
  gboolean upload;         /* POST generated data instead of GET */
  gboolean ranges;         /* the server honours Range: bytes */
  gboolean probe;          /* HEAD works: measure latency with it */
  GCancellable *stop;      /* the person's: stop early, keep the result */
  WsSampleFunc on_sample;
  gpointer user_data;
} WsHttpLoadSetup;

gboolean ws_http_load_run (const WsHttpLoadSetup  *setup,
                           WsResult               *result,
                           GError                **error);

G_END_DECLS
