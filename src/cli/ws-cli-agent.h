/* ws-cli-agent.h — the --agent face: its options and its main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-agent-config.h"

G_BEGIN_DECLS

/* The agent's flags as GOptionContext leaves them. */
typedef struct {
  gboolean agent;
  gboolean once;
  char *config;
  char **collect_to;
  char *every;
  char *slip;
  char *at;
  char *spool;
  gint spool_max;
  gint send_timeout;
} WsCliAgentRaw;

/* Declared in ws-cli-options.h, which includes this header. */
typedef struct _WsCliOptions WsCliOptions;

void     ws_cli_agent_raw_init    (WsCliAgentRaw       *raw);
void     ws_cli_agent_raw_clear   (WsCliAgentRaw       *raw);
void     ws_cli_agent_add_entries (GOptionContext      *context,
                                   WsCliAgentRaw       *raw);
gboolean ws_cli_agent_fill        (WsCliOptions        *options,
                                   const WsCliAgentRaw *raw,
                                   gboolean             test_tls,
                                   gboolean             target_given,
                                   GError             **error);
gboolean ws_cli_agent_fill_delivery (WsAgentConfig       *config,
                                     const WsCliOptions  *options,
                                     const WsCliAgentRaw *raw,
                                     GError             **error);
int      ws_cli_agent_run         (WsCliOptions        *options);

G_END_DECLS
