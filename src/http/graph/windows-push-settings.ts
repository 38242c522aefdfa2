import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';
import type { StoredWindowsPushSettingsInfo } from '../../store/postgres/windows-push-settings-store.ts';
import type { WindowsPushSettingsService } from '../../services/enrollment/windows-push-settings-service.ts';

const WindowsPushSettingsUpload = Type.Object(
  {
    packageSid: Type.String({ minLength: 1, maxLength: 256, description: "The Store app's Package SID from Partner Center: ms-app://S-1-15-2-… (the prefix may be left out)." }),
    clientSecret: Type.String({ minLength: 1, maxLength: 1024, writeOnly: true, description: "The app's client secret from Partner Center. Stored sealed, never returned." }),
    packageFamilyName: Type.Optional(Type.Union([Type.String({ maxLength: 100, description: "The app's Package Family Name (Name_publisherId). Envelope writes it to each PC's DMClient Push/PFN node; a PC reports no WNS channel without it." }), Type.Null()])),
  },
  { additionalProperties: false },
);

const WindowsPushSettings = Type.Object(
  {
    packageSid: Type.String({ description: 'ms-app://S-1-15-2-…' }),
    packageFamilyName: Type.Union([Type.String(), Type.Null()]),
    updatedDateTime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

function toBody(info: StoredWindowsPushSettingsInfo) {
  return { packageSid: info.packageSid, packageFamilyName: info.packageFamilyName, updatedDateTime: info.updatedDateTime };
}

/**
 * Envelope extension `/envelope/windowsPushSettings`: the tenant's WNS app identity, which lets
 * Envelope wake enrolled PCs. The client secret is stored sealed and never returned. Admin only to
 * change; without settings PCs converge on their poll schedule.
 */
export function registerWindowsPushSettingsRoutes(scope: GraphScope, settings: WindowsPushSettingsService): void {
  const path = '/envelope/windowsPushSettings';

  scope.put(path, {
    schema: { tags: ['enrollment'], summary: 'Set the WNS Package SID and client secret for waking Windows PCs', body: WindowsPushSettingsUpload, response: withErrors({ 200: WindowsPushSettings }) },
  }, async (request) => toBody(await settings.put(request.principal.tenantId, request.body)));

  scope.get(path, {
    schema: { tags: ['enrollment'], summary: 'The WNS Package SID (never the secret)', response: withErrors({ 200: WindowsPushSettings }) },
  }, async (request) => toBody(await settings.getOrThrow(request.principal.tenantId)));

  scope.delete(path, {
    schema: { tags: ['enrollment'], summary: 'Remove the WNS settings: PCs are no longer pushed', response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await settings.delete(request.principal.tenantId);
    return reply.status(204).send(null);
  });
}
