import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import type { DeviceProtocolLogService } from '../../services/directory/device-protocol-log.ts';

const ProtocolMessage = Type.Object(
  {
    sessionId: Type.String({ description: 'The OMA-DM SessionID.' }),
    msgId: Type.Integer({ description: "The device's MsgID within the session." }),
    receivedDateTime: Type.String({ format: 'date-time' }),
    body: Type.String({ description: 'The message as the device sent it, SyncML DIGEST credentials replaced by [removed].' }),
    truncated: Type.Boolean({ description: 'The body was cut at the size Envelope keeps.' }),
  },
  { additionalProperties: false },
);

/**
 * Envelope extension `managedDevices/{id}/envelope/protocolMessages`: the last raw messages a device
 * sent (Windows OMA-DM; none for Apple), newest first, for support. Admin role only: the messages
 * carry directory values and device details.
 */
export function registerDeviceProtocolMessageRoutes(scope: GraphScope, log: DeviceProtocolLogService): void {
  scope.get('/deviceManagement/managedDevices/:id/envelope/protocolMessages', {
    config: { adminOnly: true },
    schema: {
      tags: ['devices'],
      summary: "A device's last protocol messages, for support (credentials removed)",
      params: IdParams,
      response: withErrors({ 200: Type.Object({ value: Type.Array(ProtocolMessage) }, { additionalProperties: false }) }),
    },
  }, async (request) => ({
    value: (await log.messages(request.principal.tenantId, request.params.id)).map((m) => ({
      sessionId: m.sessionId, msgId: m.msgId, receivedDateTime: new Date(m.receivedAt).toISOString(), body: m.body, truncated: m.truncated,
    })),
  }));
}
