import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Metric } from 'prom-client';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../store/db.ts';
import type { TenantService } from '../services/auth/tenant-service.ts';
import type { UserService } from '../services/directory/user-service.ts';
import type { GroupService } from '../services/directory/group-service.ts';
import type { DeviceService } from '../services/directory/device-service.ts';
import type { DeviceProtocolLogService } from '../services/directory/device-protocol-log.ts';
import type { ProfileService } from '../services/profiles/profile-service.ts';
import type { AssignmentService } from '../services/assignments/assignment-service.ts';
import type { TenantCaService } from '../services/certificates/tenant-ca.ts';
import type { PreviewService } from '../services/rendering/preview-service.ts';
import type { DeliveryService } from '../services/delivery/delivery-service.ts';
import type { DeliveryStatusService } from '../services/delivery/delivery-status-service.ts';
import type { EnrollmentTokenService } from '../services/enrollment/enrollment-token-service.ts';
import type { PushCertificateService } from '../services/enrollment/push-certificate-service.ts';
import type { WindowsPushSettingsService } from '../services/enrollment/windows-push-settings-service.ts';
import type { EnrollmentProfileService } from '../services/enrollment/enrollment-profile-service.ts';
import type { AppleEnrollmentService } from '../services/enrollment/apple-enrollment-service.ts';
import type { AppleMdmService } from '../services/apple-mdm/apple-mdm-service.ts';
import type { WindowsEnrollmentService } from '../services/enrollment/windows-enrollment-service.ts';
import type { WindowsMdmService } from '../services/windows-mdm/windows-mdm-service.ts';
import { requireBearerAuth } from './auth.ts';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandler } from './error-handler.ts';
import { installInputGuard } from './input-guard.ts';
import { uuidPattern } from '../domain/ids.ts';
import { installMetrics } from './metrics.ts';
import { GraphError } from './graph/common-schemas.ts';
import type { GraphScope } from './graph/graph-scope.ts';
import { registerUserRoutes } from './graph/users.ts';
import { registerGroupRoutes } from './graph/groups.ts';
import { registerDeviceRoutes } from './graph/managed-devices.ts';
import { registerDeviceProtocolMessageRoutes } from './graph/device-protocol-messages.ts';
import { registerProfileRoutes } from './graph/device-configurations.ts';
import { registerAssignmentRoutes } from './graph/assignments.ts';
import { registerCertificateAuthorityRoutes } from './graph/certificate-authority.ts';
import { registerProfilePreviewRoutes } from './graph/profile-preview.ts';
import { registerDeliveryStatusRoutes } from './graph/delivery-status.ts';
import { registerEnrollmentTokenRoutes } from './graph/enrollment-tokens.ts';
import { registerApplePushCertificateRoutes } from './graph/apple-push-certificate.ts';
import { registerWindowsPushSettingsRoutes } from './graph/windows-push-settings.ts';
import { registerAppleEnrollRoutes } from './device/apple/enroll.ts';
import { registerAppleMdmRoutes } from './device/apple/mdm.ts';
import { registerWindowsEnrollmentRoutes } from './device/windows/enrollment.ts';
import { registerWindowsManagementRoutes } from './device/windows/management.ts';
import type { WakeService } from '../services/push/wake-service.ts';
import type { AndroidEnterpriseSettingsService } from '../services/android-enterprise/android-enterprise-settings-service.ts';
import type { AmapiStatusService } from '../services/android-enterprise/amapi-status-service.ts';
import { registerAndroidEnterpriseSettingsRoutes } from './graph/android-enterprise-settings.ts';
import { registerAndroidEnterpriseRoutes } from './device/android-enterprise/android-enterprise-routes.ts';

export interface AppServices {
  tenants: TenantService;
  users: UserService;
  groups: GroupService;
  devices: DeviceService;
  /** The raw device messages kept for support. */
  deviceProtocolLog: DeviceProtocolLogService;
  profiles: ProfileService;
  assignments: AssignmentService;
  tenantCa: TenantCaService;
  previews: PreviewService;
  delivery: DeliveryService;
  deliveryStatus: DeliveryStatusService;
  /** For device channels that want a device back soon (NotNow); admin changes queue their wakes by trigger. */
  wake: WakeService;
  enrollmentTokens: EnrollmentTokenService;
  pushCertificates: PushCertificateService;
  /** The WNS app identity that lets Envelope wake Windows PCs. */
  windowsPushSettings: WindowsPushSettingsService;
  enrollmentProfiles: EnrollmentProfileService;
  /** For the Apple check-in endpoint (Authenticate, TokenUpdate). */
  appleEnrollments: AppleEnrollmentService;
  /** The Apple MDM check-in and command endpoints. */
  appleMdm: AppleMdmService;
  /** The MS-MDE2 discovery, policy and enrollment services for Windows PCs. */
  windowsEnrollment: WindowsEnrollmentService;
  /** The Windows OMA-DM management endpoint. */
  windowsMdm: WindowsMdmService;
  /** The enterprise and service account for Android Enterprise through AMAPI. */
  androidEnterpriseSettings: AndroidEnterpriseSettingsService;
  /** AMAPI Pub/Sub notifications and work-profile enrollment. */
  androidEnterpriseStatus: AmapiStatusService;
}

export interface AppOptions {
  db: Db;
  services: AppServices;
  /** Fastify logger options (pino); `false` in tests. */
  logger: FastifyServerOptions['logger'];
  https?: { cert: Buffer; key: Buffer } | null;
  /** Externally visible base URL; when null it is taken from each request's Host header. */
  publicUrl: string | null;
  version: string;
  /** Further metrics /metrics serves (the wake worker's). */
  metrics?: readonly Metric[];
}

export const graphPrefix = '/graph/beta';

/** Builds the HTTP application: Graph admin API, OpenAPI, health and metrics. Does not listen. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger,
    // Windows PCs authenticate with their enrollment certificate when TLS ends here; it is asked for,
    // never required (Apple devices and browsers send none), and checked by the Windows endpoint only.
    ...(options.https ? { https: { ...options.https, requestCert: true, rejectUnauthorized: false } } : {}),
    bodyLimit: 1024 * 1024,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
      // Ajv's own 'uuid' also accepts a `urn:uuid:` prefix, which PostgreSQL's uuid type refuses.
      onCreate: (ajv) => ajv.addFormat('uuid', uuidPattern),
    },
    // Unroutable URLs and unparseable HTTP are answered by the one renderer too, in Graph's shape.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  installInputGuard(app);
  // Graph clients POST body-less actions (getTargetedUsersAndDevices) with a JSON content type.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') return done(null, undefined);
    return parseJson(request, text, done);
  });
  const metrics = installMetrics(app, options.metrics);
  app.decorate('baseUrl', (request) => `${options.publicUrl ?? `${request.protocol}://${request.host}`}${graphPrefix}`);
  app.addSchema(GraphError);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Envelope',
        version: options.version,
        description: 'Microsoft Graph-compatible admin API for email profiles, directory and assignments.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Routes whose body a domain parser validates carry their schema in config.docsBody.
    transform: ({ schema, url, route }) => {
      const docsBody = (route.config as { docsBody?: unknown } | undefined)?.docsBody;
      return { schema: docsBody ? { ...schema, body: docsBody } : schema, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { tags: ['system'], summary: 'Liveness and database check', security: [] } }, async (_request, reply) => {
    try {
      await options.db.query('SELECT 1');
      return { status: 'ok', database: options.db.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: options.db.kind });
    }
  });
  // Metrics reveal traffic shape across tenants: any valid token may scrape them, nobody else.
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    await options.services.tenants.authenticate(request.headers.authorization);
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });

  await app.register(async (scope) => {
    const graph = scope as unknown as GraphScope;
    requireBearerAuth(scope, options.services.tenants);
    registerUserRoutes(graph, options.services.users);
    registerGroupRoutes(graph, options.services.groups);
    registerDeviceRoutes(graph, options.services.devices);
    registerDeviceProtocolMessageRoutes(graph, options.services.deviceProtocolLog);
    registerProfileRoutes(graph, options.services.profiles);
    registerAssignmentRoutes(graph, options.services.assignments);
    registerCertificateAuthorityRoutes(graph, options.services.tenants, options.services.tenantCa);
    registerProfilePreviewRoutes(graph, options.services.previews);
    registerDeliveryStatusRoutes(graph, options.services.deliveryStatus, options.services.delivery);
    registerEnrollmentTokenRoutes(graph, options.services.enrollmentTokens);
    registerApplePushCertificateRoutes(graph, options.services.pushCertificates);
    registerWindowsPushSettingsRoutes(graph, options.services.windowsPushSettings);
    registerAndroidEnterpriseSettingsRoutes(graph, options.services.androidEnterpriseSettings);
  }, { prefix: graphPrefix });

  // Device-facing routes: no bearer token (devices carry their own credentials), rate-limited.
  await app.register((scope) => registerAppleEnrollRoutes(scope, options.services.enrollmentProfiles));
  await app.register((scope) => registerAppleMdmRoutes(scope, options.services.appleMdm));
  await app.register((scope) => registerWindowsEnrollmentRoutes(scope, options.services.windowsEnrollment));
  await app.register((scope) => registerWindowsManagementRoutes(scope, options.services.windowsMdm));
  await app.register((scope) => registerAndroidEnterpriseRoutes(scope, options.services.androidEnterpriseStatus));

  return app;
}
