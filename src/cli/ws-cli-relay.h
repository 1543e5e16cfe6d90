/* ws-cli-relay.h — the --relay face: agents' reports forwarded upstream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-cli-agent.h"

G_BEGIN_DECLS

/* As typed; GOptionContext fills it. */
typedef struct {
  gboolean relay;
  char **block;
} WsCliRelayRaw;

void     ws_cli_relay_raw_clear   (WsCliRelayRaw       *raw);
void     ws_cli_relay_add_entries (GOptionContext      *context,
                                   WsCliRelayRaw       *raw);
gboolean ws_cli_relay_fill        (WsCliOptions        *options,
                                   const WsCliRelayRaw *raw,
                                   const WsCliAgentRaw *agent_raw,
                                   GError             **error);
int      ws_cli_relay_run         (WsCliOptions        *options);

G_END_DECLS
