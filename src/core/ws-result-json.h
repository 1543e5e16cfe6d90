/* ws-result-json.h — a result written as JSON (the contract of --json)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-result.h"

G_BEGIN_DECLS

JsonNode *ws_result_to_json        (WsResult *result);
char     *ws_result_to_json_string (WsResult *result);

G_END_DECLS
