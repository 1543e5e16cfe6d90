/* ws-client.h — runs one test against a Wirespeed server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-protocol.h"
#include "ws-result.h"

G_BEGIN_DECLS

#define WS_DEFAULT_DURATION_S 30
#define WS_DEFAULT_INTERVAL_MS 1000
#define WS_DEFAULT_LENGTH (128 * 1024)

/* Everything a test needs; the CLI and the GUI fill it, the engine runs it. */
typedef struct {
  char *target;
  guint16 port;
  WsTestMode mode;
  WsDirection direction;
  guint streams;
  guint duration_s;
  guint interval_ms;
  guint32 length;
} WsTestConfig;

void ws_test_config_init  (WsTestConfig       *config);
void ws_test_config_clear (WsTestConfig       *config);
void ws_test_config_copy  (WsTestConfig       *dest,
                           const WsTestConfig *src);

#define WS_TYPE_CLIENT (ws_client_get_type ())
G_DECLARE_FINAL_TYPE (WsClient, ws_client, WS, CLIENT, GObject)

WsClient *ws_client_new        (void);
void      ws_client_run_async  (WsClient            *self,
                                const WsTestConfig  *config,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
WsResult *ws_client_run_finish (WsClient            *self,
                                GAsyncResult        *result,
                                GError             **error);

G_END_DECLS
