import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { EnvelopeError } from '../../../domain/errors.ts';
import type { EnrollmentProfileService } from '../../../services/enrollment/enrollment-profile-service.ts';
import { appleDevicePaths } from '../../../services/enrollment/enrollment-urls.ts';
import type { GraphScope } from '../../graph/graph-scope.ts';

/** The media type Safari hands to the profile installer. */
export const mobileconfigContentType = 'application/x-apple-aspen-config';

/**
 * Profile downloads per client address and minute. Generous, because a whole office can share one
 * address behind NAT; each download costs an RSA key generation, so a flood is still bounded.
 */
export const enrollRateLimit = { max: 60, timeWindow: 60_000 } as const;

/** `url` with the value of every `token` query parameter replaced: enrollment links are credentials and never reach logs. */
export function redactTokenInUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]');
}

const EnrollQuery = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 256, description: 'The enrollment token from the enrollment link.' }) },
  { additionalProperties: false },
);

/**
 * `GET /mdm/apple/enroll?token=…`: public (the token is the credential), rate-limited per client
 * address. Answers the signed enrollment profile as `application/x-apple-aspen-config`; errors come in
 * the one Graph error shape (403 for any unusable token, 409 when enrollment is not set up).
 */
export async function registerAppleEnrollRoutes(scope: FastifyInstance, profiles: EnrollmentProfileService): Promise<void> {
  await scope.register(rateLimit, {
    ...enrollRateLimit,
    errorResponseBuilder: (_request, context) =>
      new EnvelopeError('TooManyRequests', 429, `Too many enrollment requests from this address; retry in ${context.after}.`),
  });
  const device = scope as unknown as GraphScope;
  device.get(appleDevicePaths.enroll, {
    schema: { tags: ['devices'], summary: 'Apple enrollment profile for an enrollment token', security: [], querystring: EnrollQuery },
  }, async (request, reply) => {
    const profile = await profiles.serve(request.query.token);
    return reply
      .type(mobileconfigContentType)
      .header('content-disposition', 'attachment; filename="enroll.mobileconfig"')
      .header('cache-control', 'no-store')
      .send(Buffer.from(profile));
  });
}
