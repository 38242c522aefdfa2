import type {
  DomainNameSource,
  EmailSyncDuration,
  EmailSyncSchedule,
  UserEmailSource,
  UsernameSource,
} from '../../domain/profiles/graph-enums.ts';

/**
 * The settings the Windows compilers read, with Graph names and the enum unions of
 * `domain/profiles/graph-enums.ts`. Both `windows10EasEmailProfileConfiguration` and
 * `windowsPhoneEASEmailProfileConfiguration` settings have this shape (Windows Phone only makes
 * `emailAddressSource` nullable, null meaning the UPN; its read-only `applyOnlyToWindowsPhone81`
 * decides applicability, not the payload).
 *
 * Structural rather than `Windows10EasEmailProfileSettings | WindowsPhoneEasEmailProfileSettings`
 * because those `Static` types currently widen every enum to TypeBox's `string | number`
 * (`TEnumValue`), which would let any string reach the CSP value maps. Once the profile schemas infer
 * member unions, those types are assignable here unchanged.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-windows10easemailprofileconfiguration?view=graph-rest-beta
 */
export interface WindowsEasEmailSettings {
  hostName: string;
  accountName: string;
  usernameSource: UserEmailSource;
  usernameAADSource: UsernameSource | null;
  userDomainNameSource: DomainNameSource | null;
  customDomainName: string | null;
  emailAddressSource: UserEmailSource | null;
  requireSsl: boolean;
  durationOfEmailToSync: EmailSyncDuration;
  emailSyncSchedule: EmailSyncSchedule;
  syncCalendar: boolean;
  syncContacts: boolean;
  syncTasks: boolean;
}
