import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
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
import type { TenantConfigurationService } from '../services/gitops/tenant-configuration.ts';
import type { DryRunService } from '../services/safe-changes/dry-run-service.ts';
import type { ReplaceService } from '../services/safe-changes/replace-service.ts';
import type { AlertService } from '../services/alerts/alert-service.ts';
import type { RolloutService } from '../services/safe-changes/rollout-service.ts';
import type { KnoxEnrollmentService } from '../services/enrollment/knox-enrollment-service.ts';
import type { KnoxAgentService } from '../services/knox-agent/knox-agent-service.ts';
import type { KnoxPushSettingsService } from '../services/enrollment/knox-push-settings-service.ts';
import { requireBearerAuth } from './auth.ts';
import { clientErrorHandler, frameworkError, frameworkErrorHandler, installErrorHandler } from './error-handler.ts';
import { installInputGuard } from './input-guard.ts';
import { uuidPattern } from '../domain/ids.ts';
import { forbidden } from '../domain/errors.ts';
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
import { registerBatchRoutes } from './graph/batch.ts';
import { profileResponseSchemas } from './graph/profile-serializer.ts';
import { registerTenantConfigurationRoutes } from './graph/tenant-configuration.ts';
import { registerDryRunRoutes } from './graph/dry-run.ts';
import { registerReplaceRoutes } from './graph/replace.ts';
import { registerAlertRoutes } from './graph/alerts.ts';
import { registerRolloutRoutes } from './graph/rollout.ts';
import { registerAppleEnrollRoutes } from './device/apple/enroll.ts';
import { registerAppleMdmRoutes } from './device/apple/mdm.ts';
import { registerWindowsEnrollmentRoutes } from './device/windows/enrollment.ts';
import { registerWindowsManagementRoutes } from './device/windows/management.ts';
import { registerKnoxAgentRoutes } from './device/knox/agent.ts';
import { registerKnoxPushSettingsRoutes } from './graph/knox-push-settings.ts';
import type { WakeService } from '../services/push/wake-service.ts';
import type { AuditService } from '../services/audit/audit-service.ts';
import { installAuditTrail } from './audit-trail.ts';
import { RequestTransactionDb } from '../store/postgres/request-transaction-db.ts';
import { registerAuditEventRoutes } from './graph/audit-events.ts';
import { requestIdOf } from './request-id.ts';
import { registerCurrentTokenRoutes } from './graph/current-token.ts';
import { registerApiTokenRoutes } from './graph/api-tokens.ts';
import { registerConsoleRoutes } from './console.ts';
import type { ScimService } from '../services/scim/scim-service.ts';
import { registerScimRoutes, scimPrefix } from './scim/scim-routes.ts';
import { renderScimError } from './scim/scim-errors.ts';
import type { AndroidEnterpriseSettingsService } from '../services/android-enterprise/android-enterprise-settings-service.ts';
import type { AmapiStatusService } from '../services/android-enterprise/amapi-status-service.ts';
import { registerAndroidEnterpriseSettingsRoutes } from './graph/android-enterprise-settings.ts';
import { registerAndroidEnterpriseRoutes } from './device/android-enterprise/android-enterprise-routes.ts';
import type { PortalService } from '../services/portal/portal-service.ts';
import { registerPortalLinkRoutes } from './portal/portal-link-routes.ts';
import { portalApiPrefix, registerPortalApiRoutes } from './portal/portal-api-routes.ts';
import type { ConsoleAccountService } from '../services/auth/console-accounts.ts';
import { registerConsoleAccountRoutes, registerConsoleSessionRoutes } from './graph/console-accounts.ts';
import type { IssuedCertificateService } from '../services/certificates/issued-certificates.ts';
import { registerIssuedCertificateRoutes } from './graph/issued-certificates.ts';

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
  /** Configuration as files (`envelope export` / `apply`). */
  tenantConfiguration: TenantConfigurationService;
  /** The audit trail: every admin and SCIM write, readable as deviceManagement/auditEvents. */
  audit: AuditService;
  /** Safe changes: what an assign or PATCH body would do, before it is saved. */
  dryRun: DryRunService;
  /** Safe changes: the one-step replace of a deployed email profile. */
  replace: ReplaceService;
  /** Alerts computed from delivery status. */
  alerts: AlertService;
  rollouts: RolloutService;
  /** The Samsung Knox agent's enrollment (`POST /mdm/android/enroll`). */
  knoxEnrollment: KnoxEnrollmentService;
  /** The Samsung Knox agent API (`/mdm/knox/v1`). */
  knoxAgent: KnoxAgentService;
  /** The Firebase service account that lets Envelope wake Knox agents. */
  knoxPushSettings: KnoxPushSettingsService;
  /** SCIM 2.0 directory provisioning (`/scim/v2`, scim-role tokens only). */
  scim: ScimService;
  /** The enterprise and service account for Android Enterprise through AMAPI. */
  androidEnterpriseSettings: AndroidEnterpriseSettingsService;
  /** AMAPI Pub/Sub notifications and work-profile enrollment. */
  androidEnterpriseStatus: AmapiStatusService;
  /** The company portal: links for end users and what they may see and do (decision 0031). */
  portal: PortalService;
  /** Console accounts (user name and password) and their sign-in. */
  consoleAccounts: ConsoleAccountService;
  /** Certificates the tenant CA issued to devices (read only). */
  issuedCertificates: IssuedCertificateService;
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
  /** Reverse proxies whose X-Forwarded-* headers are believed (ENVELOPE_TRUST_PROXY); none by default. */
  trustProxy?: readonly string[];
  /** The built admin console Envelope serves at `/`; default console/dist. */
  consoleDir?: string;
}

export const graphPrefix = '/graph/beta';
/** Graph v1.0: what v1.0 models (users, groups, managed devices), beside beta. */
export const graphV1Prefix = '/graph/v1.0';

const scimErrorDoc = {
  description: 'SCIM error (RFC 7644 §3.12)',
  type: 'object',
  properties: { schemas: { type: 'array', items: { type: 'string' } }, status: { type: 'string' }, scimType: { type: 'string' }, detail: { type: 'string' } },
};
const scimResourceDoc = { description: 'SCIM resource or list response (application/scim+json)', type: 'object', additionalProperties: true };
const scimErrorResponses = { 400: scimErrorDoc, 401: scimErrorDoc, 403: scimErrorDoc, 404: scimErrorDoc, 409: scimErrorDoc };

/**
 * `GET /graph/beta/deviceManagement/deviceConfigurations/:id/assignments` →
 * `getDeviceManagementDeviceConfigurationsByIdAssignments`: the method, then each path segment in
 * PascalCase (a parameter as `By<Name>`, `$batch` as `Batch`), without the Graph version prefix.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/graph\/beta(?=\/|$)/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `By-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** Builds the HTTP application: Graph admin API, OpenAPI, health and metrics. Does not listen. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger,
    // Windows PCs authenticate with their enrollment certificate when TLS ends here; it is asked for,
    // never required (Apple devices and browsers send none), and checked by the Windows endpoint only.
    ...(options.https ? { https: { ...options.https, requestCert: true, rejectUnauthorized: false } } : {}),
    bodyLimit: 1024 * 1024,
    // Behind a reverse proxy every device would share the proxy's address (one rate-limit bucket for
    // the fleet) unless the proxy is named: then request.ip is the device's, from X-Forwarded-For.
    ...(options.trustProxy && options.trustProxy.length > 0 ? { trustProxy: [...options.trustProxy] } : {}),
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
      // Ajv's own 'uuid' also accepts a `urn:uuid:` prefix, which PostgreSQL's uuid type refuses.
      onCreate: (ajv) => ajv.addFormat('uuid', uuidPattern),
    },
    // Unroutable URLs and unparseable HTTP are answered by the one renderer too, in Graph's shape.
    frameworkErrors: (error, request, reply) =>
      request.url.startsWith(`${scimPrefix}/`) ? renderScimError(frameworkError(error), request, reply) : frameworkErrorHandler(error, request, reply),
    clientErrorHandler,
    // A GUID per request, the audit trail's correlationId (the client's client-request-id when it sends one).
    genReqId: requestIdOf,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  installInputGuard(app);
  // Before any route: routes are described for the audit trail as they are added.
  const auditCatalog = installAuditTrail(app, options.services.audit, options.db instanceof RequestTransactionDb ? options.db : null);
  // Graph clients POST body-less actions (getTargetedUsersAndDevices) with a JSON content type.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') return done(null, undefined);
    return parseJson(request, text, done);
  });
  const metrics = installMetrics(app, options.metrics);
  // Links (`@odata.nextLink`) stay on the API version the request came on.
  app.decorate('baseUrl', (request) => {
    const version = request.url === graphV1Prefix || request.url.startsWith(`${graphV1Prefix}/`) ? graphV1Prefix : graphPrefix;
    return `${options.publicUrl ?? `${request.protocol}://${request.host}`}${version}`;
  });
  app.addSchema(GraphError);
  for (const schema of profileResponseSchemas) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Envelope',
        version: options.version,
        description: 'Microsoft Graph-compatible admin API for email profiles, directory and assignments.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: options.publicUrl ?? '/', description: options.publicUrl ? 'ENVELOPE_PUBLIC_URL' : 'this server' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, deviceCredential: { type: 'http', scheme: 'bearer', description: 'A Knox agent\'s device credential (kxa_…) from enrollment.' }, portalLink: { type: 'http', scheme: 'bearer', description: 'The secret of a company portal link (ptl_…), from the link\'s #t= fragment.' } } },
      security: [{ bearer: [] }],
    },
    // Routes whose body a domain parser validates carry their schema in config.docsBody.
    // Shared schemas are components named by their $id (GraphError, iosEasEmailProfileConfiguration, …),
    // which the profile union's discriminator mapping points at.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // Every operation gets an operationId (code generators name methods after it), derived from its
    // method and path unless the route names one.
    transform: ({ schema, url, route }) => {
      const docsBody = (route.config as { docsBody?: unknown } | undefined)?.docsBody;
      const method = Array.isArray(route.method) ? route.method[0]! : route.method;
      const operationId = (schema as { operationId?: string } | undefined)?.operationId ?? operationIdOf(method, url);
      // SCIM routes answer errors in SCIM's own body (RFC 7644 §3.12); documented here, not validated.
      const scimSuccess = method === 'POST' ? { 201: scimResourceDoc } : method === 'DELETE' ? { 204: { description: 'Deleted', type: 'null' } } : { 200: scimResourceDoc };
      const scimErrors = url.startsWith('/scim/') ? { response: { ...scimSuccess, ...(schema as { response?: object } | undefined)?.response, ...scimErrorResponses } } : {};
      return { schema: { ...schema, ...(docsBody ? { body: docsBody } : {}), ...scimErrors, operationId }, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Readiness: this process can serve requests (its database answers). A load balancer stops sending
  // it traffic on 503; an orchestrator should restart on /livez only, never for a database outage.
  const readiness = async (_request: FastifyRequest, reply: FastifyReply) => {
    try {
      await options.db.query('SELECT 1');
      return { status: 'ok', database: options.db.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: options.db.kind });
    }
  };
  app.get('/readyz', { schema: { tags: ['system'], summary: 'Readiness: 200 when the database answers, else 503', security: [] } }, readiness);
  app.get('/healthz', { schema: { tags: ['system'], summary: 'Readiness (the same as /readyz; kept for existing checks)', security: [] } }, readiness);
  app.get('/livez', { schema: { tags: ['system'], summary: 'Liveness: 200 while the process serves HTTP, whatever its database', security: [] } }, async () => ({ status: 'ok' }));
  // Metrics reveal traffic shape across tenants: any valid token may scrape them, nobody else.
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const principal = await options.services.tenants.authenticate(request.headers.authorization);
    if (principal.role === 'scim') throw forbidden('A scim token may only use /scim/v2.');
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
    registerBatchRoutes(graph, graphPrefix);
    registerTenantConfigurationRoutes(graph, options.services.tenantConfiguration);
    registerAuditEventRoutes(graph, options.services.audit, auditCatalog);
    registerDryRunRoutes(graph, options.services.dryRun);
    registerReplaceRoutes(graph, options.services.replace);
    registerAlertRoutes(graph, options.services.alerts);
    registerRolloutRoutes(graph, options.services.rollouts);
    registerKnoxPushSettingsRoutes(graph, options.services.knoxPushSettings);
    registerCurrentTokenRoutes(graph);
    registerApiTokenRoutes(graph, options.services.tenants);
    registerAndroidEnterpriseSettingsRoutes(graph, options.services.androidEnterpriseSettings);
    registerPortalLinkRoutes(graph, options.services.portal);
    registerConsoleAccountRoutes(graph, options.services.consoleAccounts);
    registerIssuedCertificateRoutes(graph, options.services.issuedCertificates);
  }, { prefix: graphPrefix });
  // Console sign-in: no bearer token (it is how the console gets one), throttled per address and account.
  await app.register((scope) => registerConsoleSessionRoutes(scope, options.services.consoleAccounts), { prefix: graphPrefix });

  // The same handlers for what Graph v1.0 models; profiles, assignments and status are beta-only in Graph.
  await app.register(async (scope) => {
    const graph = scope as unknown as GraphScope;
    requireBearerAuth(scope, options.services.tenants);
    registerUserRoutes(graph, options.services.users);
    registerGroupRoutes(graph, options.services.groups);
    registerDeviceRoutes(graph, options.services.devices);
    registerBatchRoutes(graph, graphV1Prefix);
  }, { prefix: graphV1Prefix });

  await app.register(
    (scope) => registerScimRoutes(scope, options.services, (request) => `${options.publicUrl ?? `${request.protocol}://${request.host}`}${scimPrefix}`),
    { prefix: scimPrefix },
  );

  // Device-facing routes: no bearer token (devices carry their own credentials), rate-limited.
  await app.register((scope) => registerAppleEnrollRoutes(scope, options.services.enrollmentProfiles));
  await app.register((scope) => registerAppleMdmRoutes(scope, options.services.appleMdm));
  await app.register((scope) => registerWindowsEnrollmentRoutes(scope, options.services.windowsEnrollment));
  await app.register((scope) => registerWindowsManagementRoutes(scope, options.services.windowsMdm));
  await app.register((scope) => registerKnoxAgentRoutes(scope, options.services.knoxEnrollment, options.services.knoxAgent));
  // The admin console (static files; it calls the API above with the signed-in token).
  await app.register((scope) => registerConsoleRoutes(scope, options.consoleDir));
  await app.register((scope) => registerAndroidEnterpriseRoutes(scope, options.services.androidEnterpriseStatus));
  // The company portal's API: portal link secrets only, one user's data (the page is served with the console).
  await app.register((scope) => registerPortalApiRoutes(scope, options.services.portal), { prefix: portalApiPrefix });

  return app;
}
