/* ws-application.h — the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ws-history.h"

G_BEGIN_DECLS

#define WS_TYPE_APPLICATION (ws_application_get_type ())
G_DECLARE_FINAL_TYPE (WsApplication, ws_application, WS, APPLICATION, AdwApplication)

WsApplication *ws_application_new          (GApplicationFlags  flags);
int            ws_application_run          (int                argc,
                                            char             **argv);
GSettings     *ws_application_get_settings (WsApplication     *self);
WsHistory     *ws_application_get_history  (WsApplication     *self,
                                            const char       **why_not);

G_END_DECLS
