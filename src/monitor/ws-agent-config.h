/* ws-agent-config.h — what an agent runs and where it reports: its file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-schedule.h"

G_BEGIN_DECLS

/* The agent's own settings (the file's [agent] group or the command line)
 * and its schedules (every other group). */
typedef struct {
  GPtrArray *collectors;   /* char *: HOST[:PORT], in the order to try */
  char *tls_ca_file;       /* the collectors' CA; NULL: the system's */
  char *tls_fingerprint;   /* pins the collectors' certificate */
  char *auth_name;         /* the agent's key: its name is the agent's */
  char *auth_secret;
  char *spool_path;        /* NULL: ws_spool_default_path () */
  guint spool_max;
  GPtrArray *schedules;    /* WsSchedule */
} WsAgentConfig;

#define WS_AGENT_CONFIG_GROUP "agent"

WsAgentConfig *ws_agent_config_new             (void);
void           ws_agent_config_free            (WsAgentConfig        *config);
WsAgentConfig *ws_agent_config_load            (const char           *path,
                                                GError              **error);
GPtrArray     *ws_agent_config_parse_schedules (const WsAgentConfig  *config,
                                                const char           *text,
                                                const char           *origin,
                                                GError              **error);
gboolean       ws_agent_config_check           (const WsAgentConfig  *config,
                                                const char           *origin,
                                                GError              **error);
void           ws_agent_config_lend_key        (const WsAgentConfig  *config,
                                                WsSchedule           *schedule);
gboolean       ws_collector_address_parse      (const char           *text,
                                                char                **host,
                                                guint16              *port);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsAgentConfig, ws_agent_config_free)

G_END_DECLS
