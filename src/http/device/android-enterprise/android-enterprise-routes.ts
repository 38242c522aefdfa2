import { withErrors } from '../../graph/common-schemas.ts';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { EnvelopeError } from '../../../domain/errors.ts';
import { amapiPubsubPath } from '../../../services/android-enterprise/android-enterprise-settings-service.ts';
import type { AmapiStatusService } from '../../../services/android-enterprise/amapi-status-service.ts';
import type { GraphScope } from '../../graph/graph-scope.ts';

export const androidEnterpriseEnrollPath = '/mdm/android/enterprise/enroll';

/**
 * Pub/Sub pushes per client address and minute. Google delivers from many addresses; a status report
 * per device and policy version at the AMAPI quota (10 patches/s) is ~600 a minute per project.
 */
export const pubsubRateLimit = { max: 6000, timeWindow: 60_000 } as const;

const PubsubQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 256 })) });

const PubsubPush = Type.Object(
  {
    message: Type.Object(
      {
        data: Type.Optional(Type.String({ maxLength: 1_000_000 })),
        attributes: Type.Optional(Type.Record(Type.String(), Type.String())),
        messageId: Type.Optional(Type.String({ maxLength: 200 })),
        message_id: Type.Optional(Type.String({ maxLength: 200 })),
        publishTime: Type.Optional(Type.String()),
        publish_time: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
    subscription: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const EnrollBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 256, description: 'The Envelope Android enrollment token from the enrollment link.' }) },
  { additionalProperties: false },
);

const Enrollment = Type.Object(
  {
    enrollmentToken: Type.String({ description: 'The Android Management API enrollment token (one device, one hour).' }),
    qrCode: Type.String({ description: 'Provisioning JSON to show as a QR code.' }),
    enrollmentLink: Type.String({ description: 'Open on the phone to create the work profile.' }),
    expirationDateTime: Type.String(),
  },
  { additionalProperties: false },
);

/**
 * Android Enterprise device-side endpoints (no bearer token):
 * - `POST /mdm/android/enterprise/pubsub?token=…`: Cloud Pub/Sub push of the enterprise's
 *   notifications; the per-tenant token is the credential (401 before the body is even looked at).
 *   204 once processed (or a repeat); 503 asks Pub/Sub to redeliver (database outage, a report ahead
 *   of Envelope's record).
 * - `POST /mdm/android/enterprise/enroll`: an Envelope Android enrollment token in, an AMAPI
 *   enrollment token (QR code, link) for a work profile out.
 */
export async function registerAndroidEnterpriseRoutes(scope: FastifyInstance, status: AmapiStatusService): Promise<void> {
  await scope.register(rateLimit, {
    ...pubsubRateLimit,
    errorResponseBuilder: (_request, context) => new EnvelopeError('TooManyRequests', 429, `Too many requests from this address; retry in ${context.after}.`),
  });
  const device = scope as unknown as GraphScope;
  device.post(amapiPubsubPath, {
    schema: { tags: ['devices'], summary: 'Android Management API notifications (Cloud Pub/Sub push)', security: [], querystring: PubsubQuery, body: PubsubPush, response: withErrors({ 204: Type.Null() }) },
    // The token is checked before the body is validated: an unauthenticated post learns nothing.
    preValidation: async (request) => {
      const token = (request.query as { token?: unknown }).token;
      (request as unknown as { amapiTenantId: string }).amapiTenantId = await status.authenticatePush(typeof token === 'string' ? token : undefined);
    },
  }, async (request, reply) => {
    const tenantId = (request as unknown as { amapiTenantId: string }).amapiTenantId;
    await status.handlePush(tenantId, request.body);
    return reply.status(204).send(null);
  });
  device.post(androidEnterpriseEnrollPath, {
    schema: { tags: ['devices'], summary: 'AMAPI enrollment token (work profile) for an Envelope Android enrollment token', security: [], body: EnrollBody, response: withErrors({ 200: Enrollment }) },
  }, async (request) => status.createEnrollment(request.body.token));
}
