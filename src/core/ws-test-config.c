/* ws-test-config.c — a test's settings and their defaults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-test-config.h"

void
ws_test_config_init (WsTestConfig *config)
{
  memset (config, 0, sizeof *config);
  config->target = g_strdup ("localhost");
  config->port = 5201;
  config->mode = WS_TEST_TCP_STREAM;
  config->direction = WS_DIRECTION_UPLOAD;
  config->streams = 1;
  config->duration_s = WS_DEFAULT_DURATION_S;
  config->interval_ms = WS_DEFAULT_INTERVAL_MS;
  config->length = 0;
  config->bitrate = G_MAXUINT64;
  config->rr_request_size = 1;
  config->rr_response_size = 1;
  config->latency_probe = TRUE;
}

void
ws_test_config_clear (WsTestConfig *config)
{
  g_clear_pointer (&config->target, g_free);
  g_clear_pointer (&config->tls_ca_file, g_free);
  g_clear_pointer (&config->tls_fingerprint, g_free);
  g_clear_pointer (&config->auth_name, g_free);
  if (config->auth_secret != NULL)
    memset (config->auth_secret, 0, strlen (config->auth_secret));
  g_clear_pointer (&config->auth_secret, g_free);
}

void
ws_test_config_copy (WsTestConfig       *dest,
                     const WsTestConfig *src)
{
  *dest = *src;
  dest->target = g_strdup (src->target);
  dest->tls_ca_file = g_strdup (src->tls_ca_file);
  dest->tls_fingerprint = g_strdup (src->tls_fingerprint);
  dest->auth_name = g_strdup (src->auth_name);
  dest->auth_secret = g_strdup (src->auth_secret);
}
