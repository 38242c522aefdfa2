import { Type } from 'typebox';
import type { KnoxPushSettingsService } from '../../services/enrollment/knox-push-settings-service.ts';
import type { StoredKnoxPushSettingsInfo } from '../../store/postgres/knox-push-settings-store.ts';
import { withErrors } from './common-schemas.ts';
import type { GraphScope } from './graph-scope.ts';

const KnoxPushSettingsUpload = Type.Object(
  {
    serviceAccount: Type.Union([
      Type.String({ minLength: 2, maxLength: 16384 }),
      Type.Object({}, { additionalProperties: true, maxProperties: 32 }),
    ], { description: 'The Firebase service-account key file (JSON text or object) of the project the Knox agent app is built with. Stored sealed, never returned.' }),
  },
  { additionalProperties: false },
);

const KnoxPushSettings = Type.Object(
  {
    projectId: Type.String(),
    clientEmail: Type.String(),
    updatedDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

function toBody(info: StoredKnoxPushSettingsInfo) {
  return { projectId: info.projectId, clientEmail: info.clientEmail, updatedDateTime: info.updatedDateTime };
}

/**
 * Envelope extension `/envelope/knoxPushSettings`: the tenant's Firebase service account, which lets
 * Envelope wake Knox agents through FCM. The key is stored sealed and never returned. Admin only to
 * change; without settings agents converge on their poll interval.
 */
export function registerKnoxPushSettingsRoutes(scope: GraphScope, settings: KnoxPushSettingsService): void {
  const path = '/envelope/knoxPushSettings';

  scope.put(path, {
    schema: { tags: ['enrollment'], summary: 'Set the Firebase service account for waking Knox agents (FCM)', body: KnoxPushSettingsUpload, response: withErrors({ 200: KnoxPushSettings }) },
  }, async (request) => toBody(await settings.put(request.principal.tenantId, request.body)));

  scope.get(path, {
    schema: { tags: ['enrollment'], summary: 'The Firebase project and service account (never the key)', response: withErrors({ 200: KnoxPushSettings }) },
  }, async (request) => toBody(await settings.getOrThrow(request.principal.tenantId)));

  scope.delete(path, {
    schema: { tags: ['enrollment'], summary: 'Remove the Firebase settings: Knox agents are no longer pushed', response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await settings.delete(request.principal.tenantId);
    return reply.status(204).send(null);
  });
}
