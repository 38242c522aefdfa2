import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** What a simulated iPhone reports about itself in `Authenticate`. */
export interface IphoneHardware {
  /** `00008110-001A2B3C4D5E802E`: the chip id (A15 = 8110), a dash, 16 upper-case hex digits. */
  UDID: string;
  SerialNumber: string;
  /** The model identifier, e.g. `iPhone14,2` (iPhone 13 Pro). */
  ProductName: string;
  OSVersion: string;
  BuildVersion: string;
  IMEI: string;
}

const serialAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

/** A random but plausible iPhone 13 Pro on iOS 17.5 (build 21F79). */
export function randomIphoneHardware(): IphoneHardware {
  return {
    UDID: `00008110-${randomBytes(8).toString('hex').toUpperCase()}`,
    SerialNumber: Array.from({ length: 10 }, () => serialAlphabet[randomInt(serialAlphabet.length)]).join(''),
    ProductName: 'iPhone14,2',
    OSVersion: '17.5',
    BuildVersion: '21F79',
    IMEI: imei(),
  };
}

/** A 15-digit IMEI with a valid Luhn check digit (the TAC is random, not a real one). */
function imei(): string {
  const digits = Array.from({ length: 14 }, () => randomInt(10));
  const sum = digits.reduce((total, digit, index) => {
    const value = index % 2 === 1 ? digit * 2 : digit;
    return total + (value > 9 ? value - 9 : value);
  }, 0);
  return `${digits.join('')}${(10 - (sum % 10)) % 10}`;
}

/** A 32-byte APNs device token and a PushMagic UUID, as a device gets them on enrollment. */
export function randomPushIdentity(): { token: Uint8Array; pushMagic: string } {
  return { token: new Uint8Array(randomBytes(32)), pushMagic: randomUUID().toUpperCase() };
}
