/* ws-preferences.h — the preferences window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WS_TYPE_PREFERENCES (ws_preferences_get_type ())
G_DECLARE_FINAL_TYPE (WsPreferences, ws_preferences, WS, PREFERENCES, AdwPreferencesWindow)

WsPreferences *ws_preferences_new (GSettings *settings);

G_END_DECLS
