/* ws-json.h — bounded JSON parsing and the engine's JSON writing fixes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonNode *ws_json_parse             (const char  *json,
                                     GError     **error);
JsonNode *ws_json_parse_bytes       (const char  *json,
                                     gsize        len,
                                     GError     **error);
void      ws_json_fix_doubles       (JsonNode    *node);
char     *ws_json_to_pretty_string  (JsonNode    *root,
                                     gsize       *length);
gdouble   ws_json_number            (JsonObject  *o,
                                     const char  *key);
gdouble   ws_json_median            (JsonObject  *o,
                                     const char  *key);

G_END_DECLS
