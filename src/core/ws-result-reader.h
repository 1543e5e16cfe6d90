/* ws-result-reader.h — a result read back from JSON that may be hostile
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-result.h"

G_BEGIN_DECLS

WsResult *ws_result_new_from_json        (JsonNode    *node,
                                          GError     **error);
WsResult *ws_result_new_from_json_string (const char  *json,
                                          GError     **error);
JsonNode *ws_result_json_parse           (const char  *json,
                                          GError     **error);

G_END_DECLS
