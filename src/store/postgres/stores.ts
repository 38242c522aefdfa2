import type { Db, Queryable } from '../db.ts';
import { AppleChannelStore } from './apple-channel-store.ts';
import { AppleEnrollmentStore } from './apple-enrollment-store.ts';
import { ApplePushCertificateStore } from './apple-push-certificate-store.ts';
import { AssignmentStore } from './assignment-store.ts';
import { PostgresDeliveryStore } from './delivery-store.ts';
import { DeviceStore } from './device-store.ts';
import { EnrollmentTokenStore } from './enrollment-token-store.ts';
import { GroupStore } from './group-store.ts';
import { IssuedIdentityStore } from './issued-identity-store.ts';
import { ProfileStore } from './profile-store.ts';
import { SecretStore } from './secret-store.ts';
import { TargetingStore } from './targeting-store.ts';
import { TenantStore } from './tenant-store.ts';
import { UserStore } from './user-store.ts';
import { WindowsPushSettingsStore } from './windows-push-settings-store.ts';
import { WindowsEnrollmentStore } from './windows-enrollment-store.ts';
import { WindowsMdmStore } from './windows-mdm-store.ts';
import { KnoxAgentStore } from './knox-agent-store.ts';
import { KnoxPushSettingsStore } from './knox-push-settings-store.ts';
import { AndroidEnterpriseStore } from './android-enterprise-store.ts';
import { ReplacementStore } from './replacement-store.ts';
import { RolloutStore } from './rollout-store.ts';

/** Every store, bound to one connection or transaction. */
export interface Stores {
  tenants: TenantStore;
  users: UserStore;
  groups: GroupStore;
  devices: DeviceStore;
  profiles: ProfileStore;
  assignments: AssignmentStore;
  targeting: TargetingStore;
  secrets: SecretStore;
  delivery: PostgresDeliveryStore;
  enrollmentTokens: EnrollmentTokenStore;
  applePushCertificates: ApplePushCertificateStore;
  appleEnrollments: AppleEnrollmentStore;
  appleChannel: AppleChannelStore;
  windowsPushSettings: WindowsPushSettingsStore;
  windowsEnrollments: WindowsEnrollmentStore;
  issuedIdentities: IssuedIdentityStore;
  windowsMdm: WindowsMdmStore;
  knoxAgent: KnoxAgentStore;
  knoxPushSettings: KnoxPushSettingsStore;
  androidEnterprise: AndroidEnterpriseStore;
  /** Which profile replaced which (one-step replace). */
  replacements: ReplacementStore;
  rollouts: RolloutStore;
}

export function createStores(db: Queryable): Stores {
  return {
    tenants: new TenantStore(db),
    users: new UserStore(db),
    groups: new GroupStore(db),
    devices: new DeviceStore(db),
    profiles: new ProfileStore(db),
    assignments: new AssignmentStore(db),
    targeting: new TargetingStore(db),
    secrets: new SecretStore(db),
    delivery: new PostgresDeliveryStore(db),
    enrollmentTokens: new EnrollmentTokenStore(db),
    applePushCertificates: new ApplePushCertificateStore(db),
    appleEnrollments: new AppleEnrollmentStore(db),
    appleChannel: new AppleChannelStore(db),
    windowsPushSettings: new WindowsPushSettingsStore(db),
    windowsEnrollments: new WindowsEnrollmentStore(db),
    issuedIdentities: new IssuedIdentityStore(db),
    windowsMdm: new WindowsMdmStore(db),
    knoxAgent: new KnoxAgentStore(db),
    knoxPushSettings: new KnoxPushSettingsStore(db),
    androidEnterprise: new AndroidEnterpriseStore(db),
    replacements: new ReplacementStore(db),
    rollouts: new RolloutStore(db),
  };
}

/** Runs `fn` with stores bound to one transaction: all of its writes commit together or not at all. */
export type Transactor = <T>(fn: (stores: Stores) => Promise<T>) => Promise<T>;

/**
 * Runs `fn` in a transaction with stores on it. `devices`: the transactor of device exchanges, whose
 * commits do not wait for the WAL flush on a PostgreSQL server (decision 0015; PGlite ignores it:
 * embedded in the server's process, a killed server would lose them and a device would apply a
 * command again). Admin changes always commit synchronously.
 */
export function createTransactor(db: Db, options: { devices?: boolean } = {}): Transactor {
  const transactionOptions = { asyncCommit: options.devices === true };
  return (fn) => db.transaction((tx) => fn(createStores(tx)), transactionOptions);
}
