/* ws-test-form.h — what to test, and against which server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ws-test-config.h"

G_BEGIN_DECLS

#define WS_TYPE_TEST_FORM (ws_test_form_get_type ())
G_DECLARE_FINAL_TYPE (WsTestForm, ws_test_form, WS, TEST_FORM, AdwPreferencesGroup)

void        ws_test_form_set_settings (WsTestForm         *self,
                                       GSettings          *settings);
WsTestMode  ws_test_form_get_mode     (WsTestForm         *self);
char       *ws_test_form_dup_target   (WsTestForm         *self);
gboolean    ws_test_form_read         (WsTestForm         *self,
                                       WsTestConfig       *config,
                                       GError            **error);
void        ws_test_form_remember     (WsTestForm         *self,
                                       const WsTestConfig *config);
void        ws_test_form_mark_iperf3  (WsTestForm         *self,
                                       const char         *target);

G_END_DECLS
