import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { withErrors } from './common-schemas.ts';
import type { AndroidEnterpriseSettingsService, AndroidEnterpriseSettingsView } from '../../services/android-enterprise/android-enterprise-settings-service.ts';

const AndroidEnterpriseSettingsUpload = Type.Object(
  {
    enterpriseName: Type.String({ minLength: 1, maxLength: 200, description: 'The enterprise Envelope manages: enterprises/… (from enterprises.create after the signup URL).' }),
    serviceAccountKey: Type.String({ minLength: 1, maxLength: 16_384, description: "The JSON key file of a service account of the customer's Google Cloud project with the Android Management User role. Stored sealed, never returned." }),
    mailAppInstallType: Type.Optional(Type.Union([Type.Literal('FORCE_INSTALLED'), Type.Literal('AVAILABLE')], { description: 'How Gmail / Nine Work reach the work profile: FORCE_INSTALLED (Google installs it) or AVAILABLE (default: the user installs it from managed Google Play; until then the status says it is missing).' })),
    rotatePubsubToken: Type.Optional(Type.Boolean({ description: 'Issue a new Pub/Sub push token; the old push URL stops working.' })),
  },
  { additionalProperties: false },
);

const AndroidEnterpriseSettings = Type.Object(
  {
    enterpriseName: Type.String(),
    clientEmail: Type.String({ description: "The service account's address (from the key)." }),
    projectId: Type.String({ description: 'The Google Cloud project (from the key); the rate limit is per project.' }),
    mailAppInstallType: Type.String(),
    updatedDateTime: Type.String({ format: 'date-time' }),
    pubsubPushToken: Type.Union([Type.String(), Type.Null()], { description: 'Only in the answer that issued it (the first PUT, or rotatePubsubToken): the secret of the push URL.' }),
    pubsubPushUrl: Type.Union([Type.String(), Type.Null()], { description: "The push endpoint for the Pub/Sub subscription of the enterprise's notification topic (token shown once)." }),
    quota: Type.Object({
      queriesPer100Seconds: Type.Integer({ description: 'The Android Management API rate Envelope keeps to per project and process (Google default 1,000 per 100 s).' }),
      hoursToPatch100000Devices: Type.Number({ description: 'One policy patch per device: how long a change reaching 100,000 devices takes at this rate.' }),
    }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

function toBody(view: AndroidEnterpriseSettingsView) {
  return {
    enterpriseName: view.enterpriseName,
    clientEmail: view.clientEmail,
    projectId: view.projectId,
    mailAppInstallType: view.mailAppInstallType,
    updatedDateTime: view.updatedDateTime,
    pubsubPushToken: view.pubsubPushToken,
    pubsubPushUrl: view.pubsubPushUrl,
    quota: view.quota,
  };
}

/**
 * Envelope extension `/envelope/androidEnterpriseSettings`: the enterprise and service account with
 * which Envelope manages Android Enterprise work profiles through Google's Android Management API.
 * The key is stored sealed and never returned. Admin only to change.
 */
export function registerAndroidEnterpriseSettingsRoutes(scope: GraphScope, settings: AndroidEnterpriseSettingsService): void {
  const path = '/envelope/androidEnterpriseSettings';

  scope.put(path, {
    schema: { tags: ['enrollment'], summary: 'Set the Android Enterprise enterprise and service-account key', body: AndroidEnterpriseSettingsUpload, response: withErrors({ 200: AndroidEnterpriseSettings }) },
  }, async (request) => toBody(await settings.put(request.principal.tenantId, request.body)));

  scope.get(path, {
    schema: { tags: ['enrollment'], summary: 'The Android Enterprise settings (never the key)', response: withErrors({ 200: AndroidEnterpriseSettings }) },
  }, async (request) => toBody(await settings.getOrThrow(request.principal.tenantId)));

  scope.delete(path, {
    schema: { tags: ['enrollment'], summary: 'Remove the Android Enterprise settings', response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await settings.delete(request.principal.tenantId);
    return reply.status(204).send(null);
  });
}
