import { AmapiFleet } from '../../../sim/amapi/fleet.ts';
import { IosFleet } from '../../../sim/ios/fleet.ts';
import { KnoxFleet } from '../../../sim/knox/fleet.ts';
import { WindowsFleet } from '../../../sim/windows/fleet.ts';
import type { DemoEnvironment } from './demo-environment.ts';
import type { DemoPlan } from './demo-plan.ts';
import { demoEnrollmentTokens, demoMailHost, demoPackageFamilyName, type DemoTenant } from './demo-seed.ts';

/** Devices per platform: enrolled so far, and the target. */
export interface DemoFleetProgress {
  ios: { enrolled: number; target: number };
  windows: { enrolled: number; target: number };
  knox: { enrolled: number; target: number };
  androidEnterprise: { enrolled: number; target: number };
  /** Devices handed to a person so far. */
  handedOut: number;
}

/** A user the demo gave an iPhone with a hand-made account: their portal shows the fix. */
export interface BlockedUser {
  userId: string;
  deviceName: string;
}

interface ManagedDevice {
  id: string;
  deviceName: string;
  operatingSystem: string;
}

/**
 * The demo's simulated devices (sim/): iPhones, Windows PCs, Samsung Knox agents and Android
 * Enterprise work profiles, each platform as fleets of at most 100 (one enrollment token each), all
 * enrolling as the enrollment user. As devices appear, each is handed to the next demo user (PATCH of
 * its primary user, as an admin assigning devices would), which delivers that user's profiles; before
 * that, some iPhones and PCs get an Exchange account their user made by hand with the same host and
 * address. One Android Enterprise work profile lacks Gmail.
 */
export class DemoFleets {
  readonly #env: DemoEnvironment;
  readonly #plan: DemoPlan;
  readonly #tenant: DemoTenant;
  readonly #ios: IosFleet[] = [];
  readonly #windows: WindowsFleet[] = [];
  readonly #knox: KnoxFleet[] = [];
  readonly #android: AmapiFleet[] = [];
  readonly #onBlocked: (user: BlockedUser) => void;
  #handedOut = 0;
  #nextUser = 0;
  #iosUserMade = 0;
  #windowsUserMade = 0;
  #timer: NodeJS.Timeout | undefined;
  #handing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(env: DemoEnvironment, plan: DemoPlan, tenant: DemoTenant, onBlocked: (user: BlockedUser) => void) {
    this.#env = env;
    this.#plan = plan;
    this.#tenant = tenant;
    this.#onBlocked = onBlocked;
  }

  /** Issues the tokens, starts every fleet enrolling (in the background) and the hand-out loop. */
  async start(): Promise<void> {
    const env = this.#env;
    const serverCaPem = env.pki.ca.certificatePem;
    const { devices } = this.#plan;
    const userId = this.#tenant.enrollmentUserId;
    for (const token of await demoEnrollmentTokens(env, userId, 'iOS', devices.ios)) {
      this.#ios.push(new IosFleet({ enrollmentUrl: token.enrollmentUrl, devices: token.devices, concurrency: 4, serverCaPem, maxSockets: 16, pushes: env.apns }));
    }
    for (const token of await demoEnrollmentTokens(env, userId, 'Windows', devices.windows)) {
      this.#windows.push(new WindowsFleet({
        server: env.origin, upn: this.#tenant.enrollmentUserPrincipalName, enrollmentToken: token.token, devices: token.devices, concurrency: 4, serverCaPem,
        maxSockets: token.devices + 16, pushes: env.wns, channelUriBase: env.wns.url, pushPfn: demoPackageFamilyName,
      }));
    }
    const androidTokens = await demoEnrollmentTokens(env, userId, 'Android', devices.knox + devices.androidEnterprise);
    let knoxLeft = devices.knox;
    let androidLeft = devices.androidEnterprise;
    for (const token of androidTokens) {
      // A token enrolls Knox agents and work profiles alike; each is used by one fleet here.
      if (knoxLeft > 0) {
        const n = Math.min(knoxLeft, token.devices);
        knoxLeft -= n;
        this.#knox.push(new KnoxFleet({ server: env.origin, enrollmentToken: token.token, devices: n, concurrency: 4, serverCaPem, maxSockets: 16, fcm: env.fcm }));
        if (n === token.devices) continue;
        const rest = token.devices - n;
        androidLeft -= rest;
        this.#android.push(this.#amapiFleet(token.token, rest, serverCaPem));
      } else if (androidLeft > 0) {
        const n = Math.min(androidLeft, token.devices);
        androidLeft -= n;
        this.#android.push(this.#amapiFleet(token.token, n, serverCaPem));
      }
    }
    for (const fleet of [...this.#ios, ...this.#windows, ...this.#knox, ...this.#android]) void fleet.start();
    this.#timer = setInterval(() => {
      this.#handing = this.#handing.then(() => this.#handOut()).catch(() => undefined);
    }, 500);
  }

  progress(): DemoFleetProgress {
    const count = <T>(fleets: T[], enrolled: (fleet: T) => number, target: (fleet: T) => number) => ({
      enrolled: fleets.reduce((sum, fleet) => sum + enrolled(fleet), 0),
      target: fleets.reduce((sum, fleet) => sum + target(fleet), 0),
    });
    return {
      ios: count(this.#ios, (f) => f.devices().length, (f) => f.snapshot().target),
      windows: count(this.#windows, (f) => f.pcs().length, (f) => f.snapshot().target),
      knox: count(this.#knox, (f) => f.devices().length, (f) => f.snapshot().target),
      androidEnterprise: count(this.#android, (f) => f.snapshot().enrolled, (f) => f.snapshot().target),
      handedOut: this.#handedOut,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#handing;
    for (const fleet of [...this.#ios, ...this.#windows, ...this.#knox, ...this.#android]) fleet.stop();
  }

  #amapiFleet(token: string, devices: number, serverCaPem: string): AmapiFleet {
    // Exactly one work profile of the demo without Gmail: the first device of the first fleet.
    const missingAppPercent = this.#android.length === 0 ? 100 / devices : 0;
    return new AmapiFleet({ server: this.#env.origin, enrollmentToken: token, devices, missingAppPercent, installAfterSeconds: null, concurrency: 4, standIn: this.#env.amapi, serverCaPem });
  }

  /** Gives every device still with the enrollment user to the next demo user. */
  async #handOut(): Promise<void> {
    if (this.#stopped) return;
    const listed = await this.#env.request('GET', `/graph/beta/deviceManagement/managedDevices?$filter=userId eq ${this.#tenant.enrollmentUserId}&$top=999`);
    if (listed.status !== 200) return;
    const devices = (listed.body as { value: ManagedDevice[] }).value;
    // Ten at a time: each hand-out is a reconcile and a push, which the server does in parallel.
    for (let i = 0; i < devices.length && !this.#stopped; i += 10) {
      await Promise.all(devices.slice(i, i + 10).map((device) => this.#handOutOne(device)));
    }
  }

  async #handOutOne(device: ManagedDevice): Promise<void> {
    const index = this.#nextUser++ % this.#plan.users.length;
    const user = this.#plan.users[index]!;
    const userId = this.#tenant.userIds[index]!;
    let blocked = false;
    if ((device.operatingSystem === 'iOS' || device.operatingSystem === 'iPadOS') && this.#iosUserMade < this.#plan.userMadeAccounts.ios) {
      const iphone = this.#ios.flatMap((f) => f.devices()).find((d) => device.deviceName.includes(d.hardware.SerialNumber));
      if (iphone) {
        iphone.addUserAccount(demoMailHost, user.mail);
        this.#iosUserMade++;
        blocked = true;
      }
    }
    if (device.operatingSystem === 'Windows' && this.#windowsUserMade < this.#plan.userMadeAccounts.windows) {
      const pc = this.#windows.flatMap((f) => f.pcs()).find((p) => p.enrollment.hardware.deviceName === device.deviceName);
      if (pc) {
        pc.addUserAccount(demoMailHost, user.mail);
        this.#windowsUserMade++;
      }
    }
    const patched = await this.#env.request('PATCH', `/graph/beta/deviceManagement/managedDevices/${device.id}`, { userId });
    if (patched.status !== 200 && patched.status !== 204) return;
    this.#handedOut++;
    if (blocked) this.#onBlocked({ userId, deviceName: device.deviceName });
  }
}
