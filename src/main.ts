import { randomUUID, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import pinoPretty from 'pino-pretty';
import { DatabaseUnavailableError } from './cli/cli-error.ts';
import type { Config } from './config.ts';
import { buildApp, type AppServices } from './http/app.ts';
import { redactTokenInUrl } from './http/device/apple/enroll.ts';
import { AssignmentService } from './services/assignments/assignment-service.ts';
import { TenantConfigurationService } from './services/gitops/tenant-configuration.ts';
import { TenantService, type IssuedToken } from './services/auth/tenant-service.ts';
import { ConsoleAccountService } from './services/auth/console-accounts.ts';
import { ConsoleAccountStore } from './store/postgres/console-account-store.ts';
import { IssuedCertificateService } from './services/certificates/issued-certificates.ts';
import { DeviceService } from './services/directory/device-service.ts';
import { DeviceProtocolLogService } from './services/directory/device-protocol-log.ts';
import { GroupService } from './services/directory/group-service.ts';
import { UserService } from './services/directory/user-service.ts';
import { ScimService } from './services/scim/scim-service.ts';
import { ProfileService } from './services/profiles/profile-service.ts';
import { SecretBox } from './services/secrets/secret-box.ts';
import { TenantCaService } from './services/certificates/tenant-ca.ts';
import { appleMaterialFor } from './services/certificates/certificate-material.ts';
import { PreviewService } from './services/rendering/preview-service.ts';
import { envelopeUuidNamespace } from './services/rendering/render-inputs.ts';
import { DeliveryService, defaultDeliveryOptions, type DeliveryOptions } from './services/delivery/delivery-service.ts';
import { AppleCommandRenderer } from './services/apple-mdm/apple-command-renderer.ts';
import { AppleMdmService, type AppleMdmOptions } from './services/apple-mdm/apple-mdm-service.ts';
import { WindowsCommandRenderer } from './services/windows-mdm/windows-command-renderer.ts';
import { WindowsMdmService, type WindowsMdmOptions } from './services/windows-mdm/windows-mdm-service.ts';
import { DeliveryStatusService } from './services/delivery/delivery-status-service.ts';
import { DeliveryStatusStore } from './store/postgres/delivery-status-store.ts';
import { uuidBytes } from './domain/name-based-uuid.ts';
import { ProfileSigningService } from './services/certificates/profile-signing.ts';
import { EnrollmentTokenService } from './services/enrollment/enrollment-token-service.ts';
import { PushCertificateService } from './services/enrollment/push-certificate-service.ts';
import { EnrollmentProfileService } from './services/enrollment/enrollment-profile-service.ts';
import { AppleEnrollmentService } from './services/enrollment/apple-enrollment-service.ts';
import { WindowsEnrollmentService } from './services/enrollment/windows-enrollment-service.ts';
import { KnoxEnrollmentService } from './services/enrollment/knox-enrollment-service.ts';
import { KnoxAgentService } from './services/knox-agent/knox-agent-service.ts';
import { KnoxCommandRenderer } from './services/knox-agent/knox-command-renderer.ts';
import { KnoxPushChannel, type FcmClientTuning } from './services/push/knox-push-channel.ts';
import { KnoxPushSettingsService } from './services/enrollment/knox-push-settings-service.ts';
import { ApnsProviderCache } from './services/push/apns-provider-cache.ts';
import { ApplePushChannel } from './services/push/apple-push-channel.ts';
import { WindowsPushChannel, type WnsClientTuning } from './services/push/windows-push-channel.ts';
import { WindowsPushSettingsService } from './services/enrollment/windows-push-settings-service.ts';
import { WindowsPushTargetStore } from './store/postgres/windows-push-target-store.ts';
import { profileWakePages } from './services/push/profile-wake-page.ts';
import type { WakeLog } from './services/push/wake-log.ts';
import { WakeMetrics } from './services/push/wake-metrics.ts';
import { QueuedWakeService } from './services/push/wake-service.ts';
import { WakeWorker, type WakeWorkerOptions } from './services/push/wake-worker.ts';
import { defaultApnsUrl } from './config.ts';
import type { ApnsProviderOptions } from './protocols/apns/apns-provider.ts';
import type { Db } from './store/db.ts';
import { ApplePushTargetStore } from './store/postgres/apple-push-target-store.ts';
import { WakeStore } from './store/postgres/wake-store.ts';
import { migrate } from './store/postgres/migrate.ts';
import { openPostgresDb } from './store/postgres/pg-db.ts';
import { openPgliteDb } from './store/postgres/pglite-db.ts';
import { RequestTransactionDb } from './store/postgres/request-transaction-db.ts';
import { createStores, createTransactor } from './store/postgres/stores.ts';
import { AuditEventStore } from './store/postgres/audit-event-store.ts';
import { AuditService } from './services/audit/audit-service.ts';
import { MaintenanceStore } from './store/postgres/maintenance-store.ts';
import { MaintenanceWorker } from './services/maintenance/maintenance-worker.ts';
import { DryRunService } from './services/safe-changes/dry-run-service.ts';
import { ReplaceService } from './services/safe-changes/replace-service.ts';
import { DryRunStore } from './store/postgres/dry-run-store.ts';
import { RolloutService } from './services/safe-changes/rollout-service.ts';
import { RolloutWorker, type RolloutWorkerOptions } from './services/safe-changes/rollout-worker.ts';
import { AlertService } from './services/alerts/alert-service.ts';
import { PortalService } from './services/portal/portal-service.ts';
import { AlertStore } from './store/postgres/alert-store.ts';
import { AmapiRateLimiters } from './protocols/amapi/amapi-client.ts';
import { defaultAmapiQuota, type AmapiQuota } from './protocols/amapi/amapi-rate-limiter.ts';
import { AndroidEnterpriseSettingsService } from './services/android-enterprise/android-enterprise-settings-service.ts';
import { AmapiTenantClients, type AmapiClientTuning } from './services/android-enterprise/amapi-tenant-clients.ts';
import { SharedAmapiRateLimiter } from './services/android-enterprise/shared-amapi-rate-limiter.ts';
import { AmapiQuotaStore } from './store/postgres/amapi-quota-store.ts';
import { AmapiSyncWorker, type AmapiSyncOptions } from './services/android-enterprise/amapi-sync-worker.ts';
import { AmapiStatusService } from './services/android-enterprise/amapi-status-service.ts';
import { AmapiWakeChannel } from './services/push/amapi-wake-channel.ts';

/**
 * The composition root: the only place that picks concrete classes. Everything else receives its
 * collaborators.
 */

export const envelopeVersion = '0.1.0';

/**
 * Opens the configured database: a PostgreSQL server, or embedded PGlite in the data directory.
 * A PostgreSQL server is contacted once here, so an unreachable one fails now, as a
 * DatabaseUnavailableError. PGlite's data directory is locked while open: a second process gets
 * DataDirLockedError (see openPgliteDb).
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  options: { onConnectionError?: (error: Error) => void } = {},
): Promise<Db> {
  if (config.databaseUrl) {
    const db = openPostgresDb(config.databaseUrl, { onConnectionError: options.onConnectionError });
    try {
      await db.query('SELECT 1');
    } catch (error) {
      await db.close().catch(() => undefined);
      // The store turns a refused connection into a 503 for API clients; the operator wants the driver's reason.
      const reason = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
      throw new DatabaseUnavailableError(`Cannot reach the PostgreSQL database at ${withoutPassword(config.databaseUrl)} (DATABASE_URL): ${reason}`);
    }
    return db;
  }
  mkdirSync(config.dataDir, { recursive: true });
  return openPgliteDb({ dataDir: join(config.dataDir, 'pglite') });
}

function withoutPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * The key sealing secrets at rest: ENVELOPE_SECRET_KEY, else `<dataDir>/secret.key` (created with
 * mode 0600 on first start). Servers sharing one PostgreSQL must share the key.
 */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  if (config.secretKey) return config.secretKey;
  const file = join(config.dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key.`);
  return key;
}

export interface Envelope {
  app: FastifyInstance;
  db: Db;
  services: AppServices;
  /** The first admin token, when this start created the default tenant's first token. */
  firstToken: IssuedToken | null;
  /** Pushes devices after changes; not running until started (`envelope serve` starts it). */
  wakeWorker: WakeWorker;
  /** Deletes old finished commands and expired enrollments; `serve` starts it. */
  maintenance: MaintenanceWorker;
  /** Patches Android Enterprise device policies through AMAPI; `serve` starts it. */
  amapiSync: AmapiSyncWorker;
  /** Judges running staged rollouts (advance, pause); `serve` starts it. */
  rolloutWorker: RolloutWorker;
  /** Stops the wake worker, the HTTP app and the database. */
  close(): Promise<void>;
}

/** Wires services and the HTTP app on an open, migrated database. */
export async function createEnvelope(options: {
  db: Db;
  secretKey: Buffer;
  adminToken: string | null;
  logger: FastifyServerOptions['logger'];
  publicUrl: string | null;
  https?: { cert: Buffer; key: Buffer } | null;
  /** ENVELOPE_TRUST_PROXY: reverse proxies whose X-Forwarded-* headers are believed. */
  trustProxy?: readonly string[];
  newId?: () => string;
  /** Tests and benchmarks tune delivery timings; servers use the defaults. */
  deliveryOptions?: Partial<DeliveryOptions>;
  appleMdmOptions?: Partial<AppleMdmOptions>;
  windowsMdmOptions?: Partial<WindowsMdmOptions>;
  /** Where wake pushes go: APNs base URL (Apple's production service by default), extra trusted roots (PEM). */
  apns?: { url?: string; ca?: string | null; providerOptions?: Partial<ApnsProviderOptions> };
  /** Where WNS pushes go: null/absent = Microsoft's WNS; else a stand-in's origin (ENVELOPE_WNS_URL), extra trusted roots (PEM). */
  wns?: { url?: string | null; ca?: string | null; clientOptions?: Partial<WnsClientTuning> };
  /** Where FCM pushes go: null/absent = Google's FCM; else a stand-in's origin (ENVELOPE_FCM_URL), extra trusted roots (PEM). */
  fcm?: { url?: string | null; ca?: string | null; clientOptions?: FcmClientTuning };
  wake?: Partial<WakeWorkerOptions>;
  /** Android Management API: null/absent url = Google's; else a stand-in's root URL (ENVELOPE_AMAPI_URL); the quota per project. */
  amapi?: { url?: string | null; quota?: AmapiQuota; clientOptions?: AmapiClientTuning; sync?: Partial<AmapiSyncOptions>; now?: () => number };
  /** Staged rollouts: the worker's timing, and a clock for tests. */
  rollout?: { worker?: Partial<RolloutWorkerOptions>; now?: () => number };
}): Promise<Envelope> {
  // Statements of an audited admin write run in the request's transaction with its audit event (decision 0032).
  const db = new RequestTransactionDb(options.db);
  await migrate(db);
  const newId = options.newId ?? randomUUID;
  const stores = createStores(db);
  const transact = createTransactor(db);
  const deviceTransact = createTransactor(db, { devices: true });
  const secrets = new SecretBox(options.secretKey);
  // Delivery logs through the app's logger, which exists once the app is built below.
  const deliveryLog: { app?: FastifyInstance } = {};
  const tenantCa = new TenantCaService(stores.secrets, secrets);
  const profileSigning = new ProfileSigningService(stores.secrets, secrets, tenantCa);
  const delivery = new DeliveryService({
    delivery: stores.delivery,
    transact: (fn) => deviceTransact((tx) => fn(tx.delivery)),
    uuidNamespace: uuidBytes(envelopeUuidNamespace),
    options: options.deliveryOptions,
    log: { warn: (details, message) => deliveryLog.app?.log.warn(details, message) },
  });
  const appleEnrollments = new AppleEnrollmentService({ transact, newId });
  const pushLog: WakeLog = {
    debug: (details, message) => deliveryLog.app?.log.debug(details, message),
    info: (details, message) => deliveryLog.app?.log.info(details, message),
    warn: (details, message) => deliveryLog.app?.log.warn(details, message),
    error: (details, message) => deliveryLog.app?.log.error(details, message),
  };
  const amapiQuota = new AmapiQuotaStore(db);
  const amapiClients = new AmapiTenantClients({
    store: stores.androidEnterprise,
    box: secrets,
    rootUrl: options.amapi?.url ?? null,
    // One quota per Cloud project for every process on this database (decision 0033).
    limiters: new AmapiRateLimiters((projectId) => new SharedAmapiRateLimiter({
      store: amapiQuota, projectId, quota: options.amapi?.quota ?? defaultAmapiQuota,
      onError: (error) => pushLog.error({ err: error, projectId }, 'amapi: the shared quota cannot be leased from the database; no AMAPI calls until it can'),
    })),
    tuning: options.amapi?.clientOptions,
    log: pushLog,
  });
  const amapiSync = new AmapiSyncWorker({ store: stores.androidEnterprise, stores, delivery, clients: amapiClients, log: pushLog, options: options.amapi?.sync, now: options.amapi?.now });
  const wakes = new WakeStore(db);
  const wakeMetrics = new WakeMetrics(() => wakes.queueDepth());
  const wakeWorker = new WakeWorker({
    wakes,
    pages: profileWakePages({ stores, wakes }),
    channels: [
      new ApplePushChannel({
        targets: new ApplePushTargetStore(db),
        providers: new ApnsProviderCache({ certificates: stores.applePushCertificates, box: secrets, url: options.apns?.url ?? defaultApnsUrl, ca: options.apns?.ca ?? null, log: pushLog, providerOptions: options.apns?.providerOptions }),
        log: pushLog,
      }),
      new WindowsPushChannel({
        targets: new WindowsPushTargetStore(db),
        settings: stores.windowsPushSettings,
        box: secrets,
        wnsUrl: options.wns?.url ?? null,
        ca: options.wns?.ca ?? null,
        log: pushLog,
        clientOptions: options.wns?.clientOptions,
      }),
      new KnoxPushChannel({
        targets: stores.knoxAgent,
        settings: stores.knoxPushSettings,
        box: secrets,
        fcmUrl: options.fcm?.url ?? null,
        ca: options.fcm?.ca ?? null,
        log: pushLog,
        clientOptions: options.fcm?.clientOptions,
      }),
      new AmapiWakeChannel({ store: stores.androidEnterprise, onDue: () => amapiSync.nudge(), now: options.amapi?.now }),
    ],
    log: pushLog,
    metrics: wakeMetrics,
    options: options.wake,
  });
  const wake = new QueuedWakeService({ wakes, onQueued: () => db.afterCommit(() => wakeWorker.nudge()) });
  const services: AppServices = {
    tenants: new TenantService(stores.tenants),
    consoleAccounts: new ConsoleAccountService({ store: new ConsoleAccountStore(db), tenants: stores.tenants }),
    issuedCertificates: new IssuedCertificateService(stores.issuedIdentities),
    users: new UserService(stores.users, newId),
    scim: new ScimService({ transact, newId }),
    groups: new GroupService(stores, newId),
    devices: new DeviceService(stores.devices, newId),
    deviceProtocolLog: new DeviceProtocolLogService({ devices: stores.devices, windowsMdm: stores.windowsMdm }),
    profiles: new ProfileService({ stores, transact, newId, tenantCa }),
    tenantCa,
    previews: new PreviewService(stores, (input) => appleMaterialFor(input, { mode: 'preview' })),
    assignments: new AssignmentService(stores, transact),
    delivery,
    deliveryStatus: new DeliveryStatusService({
      status: new DeliveryStatusStore(db),
      profiles: stores.profiles,
      devices: stores.devices,
      now: Date.now,
      stuckAfterMs: defaultDeliveryOptions.stuckAfterMs,
    }),
    wake,
    enrollmentTokens: new EnrollmentTokenService({ enrollmentTokens: stores.enrollmentTokens, publicUrl: options.publicUrl, newId }),
    pushCertificates: new PushCertificateService({ stores, transact, box: secrets }),
    windowsPushSettings: new WindowsPushSettingsService({ store: stores.windowsPushSettings, box: secrets }),
    androidEnterpriseSettings: new AndroidEnterpriseSettingsService({ store: stores.androidEnterprise, box: secrets, publicUrl: options.publicUrl, quota: options.amapi?.quota }),
    androidEnterpriseStatus: new AmapiStatusService({ store: stores.androidEnterprise, transact, delivery, clients: amapiClients, sync: amapiSync, log: pushLog, now: options.amapi?.now }),
    enrollmentProfiles: new EnrollmentProfileService({
      stores,
      tenantCa,
      profileSigning,
      publicUrl: options.publicUrl,
      newId,
    }),
    appleEnrollments,
    appleMdm: new AppleMdmService({
      enrollments: appleEnrollments,
      delivery,
      waker: wake,
      channel: stores.appleChannel,
      renderer: new AppleCommandRenderer({ stores, tenantCa, signing: profileSigning, box: secrets }),
      options: options.appleMdmOptions,
      log: {
        info: (details, message) => deliveryLog.app?.log.info(details, message),
        warn: (details, message) => deliveryLog.app?.log.warn(details, message),
      },
    }),
    windowsEnrollment: new WindowsEnrollmentService({ stores, transact, tenantCa, box: secrets, publicUrl: options.publicUrl, newId, log: pushLog }),
    audit: new AuditService(new AuditEventStore(db), newId),
    windowsMdm: new WindowsMdmService({
      store: stores.windowsMdm,
      delivery,
      renderer: new WindowsCommandRenderer({ stores }),
      box: secrets,
      pushSettings: stores.windowsPushSettings,
      options: options.windowsMdmOptions,
      log: {
        info: (details, message) => deliveryLog.app?.log.info(details, message),
        warn: (details, message) => deliveryLog.app?.log.warn(details, message),
      },
    }),
    // Lazily through `services`: it drives the profile, assignment and group services above.
    tenantConfiguration: new TenantConfigurationService({
      listProfiles: (tenantId, query) => services.profiles.list(tenantId, query),
      createProfile: (tenantId, body) => services.profiles.create(tenantId, body),
      updateProfile: (tenantId, id, body) => services.profiles.update(tenantId, id, body),
      deleteProfile: (tenantId, id) => services.profiles.delete(tenantId, id),
      listAssignments: (tenantId, profileId) => services.assignments.list(tenantId, profileId),
      assign: (tenantId, profileId, body) => services.assignments.assign(tenantId, profileId, body),
      listGroups: (tenantId, query) => services.groups.list(tenantId, query),
      devicesReached: async (tenantId, profileId, kind) =>
        kind === 'email' ? new Set((await services.assignments.targeted(tenantId, profileId)).targeted.map((t) => t.deviceId)).size : null,
    }),
    dryRun: new DryRunService({
      // Stateless services: their own instances read exactly what assign and PATCH validate with.
      assignments: new AssignmentService(stores, transact),
      profiles: new ProfileService({ stores, transact, newId, tenantCa }),
      targeting: stores.targeting,
      store: new DryRunStore(db),
      uuidNamespace: uuidBytes(envelopeUuidNamespace),
      keepOnlyEmailProfile: options.deliveryOptions?.keepOnlyEmailProfile ?? defaultDeliveryOptions.keepOnlyEmailProfile,
      now: Date.now,
    }),
    replace: new ReplaceService({
      stores,
      transact,
      profiles: new ProfileService({ stores, transact, newId, tenantCa }),
      targeting: stores.targeting,
      store: new DryRunStore(db),
      newId,
      uuidNamespace: uuidBytes(envelopeUuidNamespace),
      keepOnlyEmailProfile: options.deliveryOptions?.keepOnlyEmailProfile ?? defaultDeliveryOptions.keepOnlyEmailProfile,
      now: Date.now,
    }),
    alerts: new AlertService({
      store: new AlertStore(db),
      now: Date.now,
      stuckAfterMs: options.deliveryOptions?.stuckAfterMs ?? defaultDeliveryOptions.stuckAfterMs,
    }),
    rollouts: new RolloutService({
      stores,
      transact,
      assignments: new AssignmentService(stores, transact),
      profiles: new ProfileService({ stores, transact, newId, tenantCa }),
      newId,
      now: options.rollout?.now,
    }),
    knoxEnrollment: new KnoxEnrollmentService({ stores, transact, publicUrl: options.publicUrl, newId, log: pushLog }),
    knoxPushSettings: new KnoxPushSettingsService({ store: stores.knoxPushSettings, box: secrets }),
    knoxAgent: new KnoxAgentService({
      store: stores.knoxAgent,
      delivery,
      renderer: new KnoxCommandRenderer({ stores }),
      log: pushLog,
    }),
    portal: new PortalService({
      db,
      deliveryStatus: { deviceConfigurationStates: (tenantId, deviceId) => services.deliveryStatus.deviceConfigurationStates(tenantId, deviceId) },
      resend: (tenantId, profileId, filter) => delivery.resend(tenantId, profileId, filter),
      wake,
      publicUrl: options.publicUrl,
      newId,
    }),
  };
  const rolloutWorker = new RolloutWorker({ rollouts: services.rollouts, log: pushLog, options: options.rollout?.worker });
  const maintenance = new MaintenanceWorker({ delivery, store: new MaintenanceStore(db), windowsMdm: stores.windowsMdm, log: pushLog });
  const firstToken = await services.tenants.issueFirstAdminToken(options.adminToken);
  const app = await buildApp({
    db,
    services,
    logger: options.logger,
    https: options.https ?? null,
    publicUrl: options.publicUrl,
    version: envelopeVersion,
    metrics: wakeMetrics.all,
    trustProxy: options.trustProxy,
  });
  deliveryLog.app = app;
  return {
    app,
    db: options.db,
    services,
    firstToken,
    wakeWorker,
    maintenance,
    amapiSync,
    rolloutWorker,
    async close() {
      await rolloutWorker.stop();
      await maintenance.stop();
      await amapiSync.stop();
      await wakeWorker.stop();
      await app.close();
      await db.close();
    },
  };
}

/** Pino options for the server: structured JSON, with credentials redacted wherever they appear. */
export function loggerOptions(level: Config['logLevel']): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.password', '*.privateKey', '*.secretKey', '*.clientSecret'],
      censor: '[redacted]',
    },
    serializers: {
      // Fastify's request serializer, with enrollment tokens (`/mdm/apple/enroll?token=…`) taken out of the URL.
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactTokenInUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}

/**
 * `envelope serve`: opens the database, migrates, wires and listens. Logs go to stdout as JSON, or
 * as pino-pretty lines when `config.logFormat` is `pretty`. If anything fails after the database
 * is open, it is closed again (releasing PGlite's lock) before the error propagates.
 */
export async function startServer(config: Readonly<Config>): Promise<Envelope> {
  // A pooled connection PostgreSQL drops while idle is replaced quietly by the pool; log it once the
  // logger exists (requests during an outage log their own 503s).
  let onConnectionError = (error: Error): void => void process.stderr.write(`database connection lost: ${error.message}\n`);
  const db = await openDatabase(config, { onConnectionError: (error) => onConnectionError(error) });
  try {
    const https = config.tlsCertPath && config.tlsKeyPath
      ? { cert: readFileSync(config.tlsCertPath), key: readFileSync(config.tlsKeyPath) }
      : null;
    const logger = config.logFormat === 'pretty'
      ? { ...loggerOptions(config.logLevel) as object, stream: pinoPretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) }
      : loggerOptions(config.logLevel);
    const envelope = await createEnvelope({
      db,
      secretKey: loadSecretKey(config),
      adminToken: config.adminToken,
      logger,
      publicUrl: config.publicUrl,
      https,
      trustProxy: config.trustProxy,
      apns: { url: config.apnsUrl, ca: config.apnsCaPath === null ? null : readFileSync(config.apnsCaPath, 'utf8') },
      wns: { url: config.wnsUrl, ca: config.wnsCaPath === null ? null : readFileSync(config.wnsCaPath, 'utf8') },
      fcm: { url: config.fcmUrl, ca: config.fcmCaPath === null ? null : readFileSync(config.fcmCaPath, 'utf8') },
      amapi: { url: config.amapiUrl, quota: { limit: config.amapiQueriesPer100s, windowMs: 100_000 } },
      wake: { pollIntervalMs: config.wakePollIntervalMs },
    });
    onConnectionError = (error) => envelope.app.log.warn({ err: error }, 'database connection lost');
    try {
      await envelope.app.listen({ port: config.port, host: config.host });
    } catch (error) {
      await envelope.app.close();
      throw error;
    }
    return envelope;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
