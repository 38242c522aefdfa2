import type { EmailSyncDuration, EmailSyncSchedule } from '../../domain/profiles/graph-enums.ts';
import type { KnoxSyncLookback, KnoxSyncSchedule } from './knox-account-schema.ts';

/**
 * Graph sync settings → Knox `ExchangeAccount` values (reference/payload-formats.md §3.3).
 *
 * `syncLookback` [inferred, reference confidence: "check on a device"]: Knox is AOSP-derived and the
 * field takes AOSP `com.android.emailcommon.service.SyncWindow` codes. "All" is **6**, not the EAS
 * FilterType 0: in AOSP's `SyncWindow`, 0 is `SYNC_WINDOW_ACCOUNT` ("use the account's window"), so
 * sending 0 would at best leave the window unchanged. 6 is what `SYNC_WINDOW_ALL` means in every AOSP
 * Email generation, and the only value whose meaning is "all". Verify on a Knox device (reference §7.4).
 * `userDefined` (no intent) leaves the field out, so the device keeps its own choice.
 */
const lookbackByDuration = {
  userDefined: null,
  oneDay: 1,
  threeDays: 2,
  oneWeek: 3,
  twoWeeks: 4,
  oneMonth: 5,
  unlimited: 6,
} as const satisfies Record<EmailSyncDuration, KnoxSyncLookback | null>;

export function knoxSyncLookback(duration: EmailSyncDuration): KnoxSyncLookback | null {
  return lookbackByDuration[duration];
}

/** The schedule fields of `ExchangeAccount` (`setSyncSchedules` + `setSyncPeakTimings` on update). */
export interface KnoxSyncScheduleFields {
  syncInterval: KnoxSyncSchedule;
  offPeak: KnoxSyncSchedule;
  roamingSchedule: KnoxSyncSchedule;
  peakDays: number;
  peakStartTime: number;
  peakEndTime: number;
}

/**
 * Knox's own peak window (the `ExchangeAccount` constructor defaults: Monday–Friday, 08:00–17:00),
 * sent explicitly so an update puts back a window the user may have changed.
 */
const knoxDefaultPeakWindow = { peakDays: 0b0111110, peakStartTime: 480, peakEndTime: 1020 } as const;

const intervalBySchedule = {
  userDefined: null,
  asMessagesArrive: -2,
  manual: -1,
  fifteenMinutes: 15,
  thirtyMinutes: 30,
  sixtyMinutes: 60,
  basedOnMyUsage: null,
} as const satisfies Record<EmailSyncSchedule, KnoxSyncSchedule | null>;

/**
 * One Graph schedule becomes the same value in the peak (`syncInterval`), off-peak and roaming
 * slots, so the peak window cannot change the result; the window itself is Knox's default.
 * - `asMessagesArrive` → -2 (AOSP `CHECK_INTERVAL_PUSH`), `manual` → -1 (`CHECK_INTERVAL_NEVER`),
 *   the interval members → minutes [code: AOSP `Account`].
 * - Roaming: Graph has no roaming setting, and the reference says the roaming slot uses the same
 *   encoding [inferred, unverified on a device — reference §7.4]; the admin's one schedule is applied
 *   everywhere rather than a roaming policy Envelope was never given.
 * - `userDefined` and `basedOnMyUsage` → null: leave every schedule field out and keep the Knox
 *   defaults. Knox has no adaptive schedule, so "based on my usage" (a Windows Mail notion) expresses
 *   no interval Knox could run; inventing one would be worse than the device default.
 */
export function knoxSyncSchedule(schedule: EmailSyncSchedule): KnoxSyncScheduleFields | null {
  const interval = intervalBySchedule[schedule];
  if (interval === null) return null;
  return { syncInterval: interval, offPeak: interval, roamingSchedule: interval, ...knoxDefaultPeakWindow };
}
