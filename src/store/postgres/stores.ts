import type { Db, Queryable } from '../db.ts';
import { AppleChannelStore } from './apple-channel-store.ts';
import { AppleEnrollmentStore } from './apple-enrollment-store.ts';
import { ApplePushCertificateStore } from './apple-push-certificate-store.ts';
import { AssignmentStore } from './assignment-store.ts';
import { PostgresDeliveryStore } from './delivery-store.ts';
import { DeviceStore } from './device-store.ts';
import { EnrollmentTokenStore } from './enrollment-token-store.ts';
import { GroupStore } from './group-store.ts';
import { ProfileStore } from './profile-store.ts';
import { SecretStore } from './secret-store.ts';
import { TargetingStore } from './targeting-store.ts';
import { TenantStore } from './tenant-store.ts';
import { UserStore } from './user-store.ts';
import { WindowsMdmStore } from './windows-mdm-store.ts';

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
  windowsMdm: WindowsMdmStore;
}

export function createStores(db: Queryable, options: { asyncDeviceCommits?: boolean } = {}): Stores {
  return {
    tenants: new TenantStore(db),
    users: new UserStore(db),
    groups: new GroupStore(db),
    devices: new DeviceStore(db),
    profiles: new ProfileStore(db),
    assignments: new AssignmentStore(db),
    targeting: new TargetingStore(db),
    secrets: new SecretStore(db),
    delivery: new PostgresDeliveryStore(db, { asyncCommit: options.asyncDeviceCommits ?? false }),
    enrollmentTokens: new EnrollmentTokenStore(db),
    applePushCertificates: new ApplePushCertificateStore(db),
    appleEnrollments: new AppleEnrollmentStore(db),
    appleChannel: new AppleChannelStore(db),
    windowsMdm: new WindowsMdmStore(db),
  };
}

/** Runs `fn` with stores bound to one transaction: all of its writes commit together or not at all. */
export type Transactor = <T>(fn: (stores: Stores) => Promise<T>) => Promise<T>;

/**
 * Runs `fn` in a transaction with stores on it. Device transactions commit asynchronously on a
 * PostgreSQL server only (decision 0015): embedded PGlite lives in the server's process, so a killed
 * server would lose them, and the device would apply a command again.
 */
export function createTransactor(db: Db): Transactor {
  return (fn) => db.transaction((tx) => fn(createStores(tx, { asyncDeviceCommits: db.kind === 'postgres' })));
}
