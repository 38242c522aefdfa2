import { Type } from 'typebox';
import type { GraphScope } from './graph-scope.ts';
import { IdParams, withErrors } from './common-schemas.ts';
import type { PreviewService } from '../../services/rendering/preview-service.ts';

const PreviewQuery = Type.Object(
  {
    userId: Type.String({ format: 'uuid', description: 'The user whose device the preview renders for.' }),
    deviceId: Type.Optional(Type.String({ format: 'uuid', description: "One of the user's devices; default: a stand-in device of the profile's platform." })),
    format: Type.Optional(Type.Literal('raw', { description: 'raw: answer with the payload itself and its media type.' })),
  },
  { additionalProperties: false },
);

const Preview = Type.Object(
  {
    profileId: Type.String(),
    profileVersion: Type.Integer(),
    '@odata.type': Type.String(),
    userId: Type.String(),
    userPrincipalName: Type.String(),
    deviceId: Type.Union([Type.String(), Type.Null()]),
    deviceName: Type.String(),
    format: Type.Union([Type.Literal('mobileconfig'), Type.Literal('syncml'), Type.Literal('knoxExchangeAccount'), Type.Literal('androidManagedConfiguration')]),
    mediaType: Type.String(),
    accountIdentityKey: Type.String({ description: 'How the platform recognises this account (conflict detection).' }),
    emailAddress: Type.String(),
    content: Type.Unknown({ description: 'The payload: XML text for mobileconfig and syncml, JSON for Android.' }),
    notes: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * `GET …/deviceConfigurations/{id}/preview?userId=…`: what that user's device would receive (admin
 * only: payloads show directory attributes). Never a password or a private key.
 */
export function registerProfilePreviewRoutes(scope: GraphScope, previews: PreviewService): void {
  scope.get('/deviceManagement/deviceConfigurations/:id/preview', {
    schema: { tags: ['profiles'], summary: "Preview a user's rendered payload", params: IdParams, querystring: PreviewQuery, response: withErrors({ 200: Preview }) },
    config: { adminOnly: true },
  }, async (request, reply) => {
    const { userId, deviceId, format } = request.query;
    const result = await previews.preview(request.principal.tenantId, request.params.id, { userId, deviceId });
    const { rendered } = result;
    if (format === 'raw') {
      const body = typeof rendered.content === 'string' ? rendered.content : JSON.stringify(rendered.content, null, 2);
      return reply.type(rendered.mediaType).send(body as never); // raw payload: not the JSON schema
    }
    return {
      profileId: result.profile.id,
      profileVersion: result.profile.version,
      '@odata.type': `#microsoft.graph.${result.profile.odataType}`,
      userId: result.user.id,
      userPrincipalName: result.user.userPrincipalName,
      deviceId: result.standInDevice ? null : result.device.id,
      deviceName: result.device.deviceName,
      format: rendered.format,
      mediaType: rendered.mediaType,
      accountIdentityKey: rendered.accountIdentityKey,
      emailAddress: rendered.emailAddress,
      content: rendered.content,
      notes: result.notes,
    };
  });
}
