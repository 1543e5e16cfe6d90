/* ws-frame.h — report framing: what agents and collectors exchange after
 * COLLECT_ACCEPT (docs/PROTOCOL.md, section 10)
 *
 * Pure functions between bytes and structs, like ws-protocol.h, so the
 * decoder can be fuzzed. A frame is an 8-byte header and a payload of up to
 * a 32-bit length; the payload limits are per type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

#define WS_FRAME_HEADER_SIZE 8
#define WS_FRAME_ACK_FIXED 20        /* id, status, reserved, retry_after */
#define WS_FRAME_TEXT_MAX 1024       /* an ACK's reason */
#define WS_FRAME_CONFIG_FIXED 4      /* status, reserved */
#define WS_FRAME_CONFIG_MAX (64u * 1024u)  /* an agent's configuration text */
#define WS_FRAME_DIGEST_SIZE 32      /* SHA-256 */
#define WS_REPORT_ID_SIZE 16

typedef enum {
  WS_FRAME_REPORT = 0x20,      /* agent → collector: one report, JSON */
  WS_FRAME_ACK = 0x21,         /* collector → agent: what became of it */
  WS_FRAME_CONFIG_GET = 0x22,  /* agent → collector: my central configuration? */
  WS_FRAME_CONFIG = 0x23,      /* collector → agent: the answer */
  WS_FRAME_ERROR = 0x7f,       /* either: the v2 ERROR payload; then close */
} WsFrameType;

typedef struct {
  WsFrameType type;
  guint32 length;  /* payload bytes */
} WsFrameHeader;

typedef enum {
  WS_ACK_STORED = 0,     /* committed: a new row */
  WS_ACK_DUPLICATE = 1,  /* that id was already stored: nothing written */
  WS_ACK_REJECTED = 2,   /* invalid: never stored; drop it */
  WS_ACK_RETRY = 3,      /* not stored now: send again after retry_after_s */
} WsAckStatus;

typedef struct {
  guint8 id[WS_REPORT_ID_SIZE];  /* all zeros: the report had no readable id */
  WsAckStatus status;
  guint16 retry_after_s;         /* WS_ACK_RETRY: ≥ 1; else 0 */
  char text[WS_FRAME_TEXT_MAX + 1];  /* why, for REJECTED and RETRY; NUL-terminated */
} WsAck;

typedef enum {
  WS_CONFIG_NONE = 0,       /* no central configuration for this agent */
  WS_CONFIG_UNCHANGED = 1,  /* the agent's digest matches */
  WS_CONFIG_NEW = 2,        /* the text follows */
} WsConfigStatus;

gboolean ws_frame_header_decode (const guint8      *buf,
                                 guint32            max_report,
                                 WsFrameHeader     *header,
                                 GError           **error);
void     ws_frame_header_encode (WsFrameType        type,
                                 guint32            length,
                                 guint8             buf[WS_FRAME_HEADER_SIZE]);

gboolean ws_ack_decode          (const guint8      *payload,
                                 gsize              len,
                                 WsAck             *ack,
                                 GError           **error);
gsize    ws_ack_encode          (const WsAck       *ack,
                                 guint8            *buf,
                                 gsize              size);
void     ws_ack_init            (WsAck             *ack,
                                 const guint8      *id,
                                 WsAckStatus        status,
                                 guint16            retry_after_s,
                                 const char        *text);

gboolean ws_config_decode       (const guint8      *payload,
                                 gsize              len,
                                 WsConfigStatus    *status,
                                 char             **text,
                                 GError           **error);
GBytes  *ws_config_encode       (WsConfigStatus     status,
                                 const char        *text);

gboolean ws_frame_error_decode  (const guint8      *payload,
                                 gsize              len,
                                 WsErrorMessage    *error_msg,
                                 GError           **error);
gsize    ws_frame_error_encode  (WsProtocolError    code,
                                 const char        *text,
                                 guint8             buf[WS_FRAME_HEADER_SIZE + 128]);

gboolean ws_report_id_to_bytes  (const char        *uuid,
                                 guint8             out[WS_REPORT_ID_SIZE]);
char    *ws_report_id_from_bytes (const guint8     *id);

const char *ws_ack_status_name  (WsAckStatus        status);

G_END_DECLS
