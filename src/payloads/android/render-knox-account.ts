import type { DirectoryUser } from '../../domain/directory.ts';
import { unprocessable } from '../../domain/errors.ts';
import { resolveAccountUserValues } from '../../domain/user-values.ts';
import { certificateAliasOrThrow, type KnoxEmailProfileSettings } from './android-profile-input.ts';
import { knoxAccountSchemaId, type KnoxAccountEnvelope, type KnoxCertificateRef, type KnoxExchangeAccount } from './knox-account-schema.ts';
import { knoxSyncLookback, knoxSyncSchedule } from './knox-sync-values.ts';

/** What the caller injects: ids and the certificates already delivered to the device. */
export interface KnoxAccountRefs {
  /** Stable per (profile, device) so re-renders update the same Knox account in place. */
  accountKey: string;
  /** The identity certificate profile's installed alias; required when `authenticationMethod = certificate`. */
  identityCertificate?: KnoxCertificateRef;
  /** The S/MIME signing certificate's installed alias; required when `requireSmime`. */
  smimeSigningCertificate?: KnoxCertificateRef;
}

/**
 * EAS protocol version the account starts with [inferred]. The `ExchangeAccount` default "2.5"
 * predates Exchange 2007; "14.1" (Exchange 2010 SP1) is offered by every supported Exchange server
 * and Exchange Online, and is the newest version the AOSP-derived Samsung EAS stack is known to
 * speak. The client still negotiates with the server's `MS-ASProtocolVersions` on first sync.
 */
const knoxProtocolVersion = '14.1';

/**
 * Compiles a Samsung Knox email profile for `user` into the device agent's envelope
 * (`envelope.knox.exchangeAccount/1`, validated by `KnoxAccountEnvelope`). Pure: same input, same
 * output.
 *
 * Promises:
 * - never a password (the user types it on the device), `acceptAllCertificates` always false;
 * - `useSSL` follows `requireSsl` (the Exchange server's certificate must be trusted on the device,
 *   e.g. through a trusted-root profile); `useTLS` is always false — it is AOSP's STARTTLS flag for
 *   IMAP/POP and means nothing for EAS over HTTPS [inferred];
 * - Knox sync codes per `knox-sync-values.ts`; `userDefined` settings are left out;
 * - certificate authentication references the separately delivered identity certificate by alias.
 *
 * Throws (all EnvelopeError, 422): `userAttributeMissing` (the user lacks an attribute the sources
 * need), `identityCertificateMissing`, `smimeSigningCertificateMissing`,
 * `authenticationMethodNotSupported` (derived credentials), `syncNotesNotSupported` (Samsung notes
 * sync fails with 0x87D1FDE8; the profile model should already reject it).
 */
export function renderKnoxAccount(profile: KnoxEmailProfileSettings, user: DirectoryUser, refs: KnoxAccountRefs): KnoxAccountEnvelope {
  if (profile.syncNotes) {
    throw unprocessable('syncNotesNotSupported', 'Samsung Knox cannot sync notes; turn off syncNotes.', 'syncNotes');
  }
  const values = resolveAccountUserValues(profile, user);
  const identity = identityCertificateOrThrow(profile, refs);

  const account: KnoxExchangeAccount = {
    displayName: profile.accountName,
    emailAddress: values.emailAddress,
    easUser: values.userName,
    easDomain: values.domain ?? '',
    serverAddress: profile.hostName.trim(),
    useSSL: profile.requireSsl,
    useTLS: false,
    acceptAllCertificates: false,
    protocolVersion: knoxProtocolVersion,
    ...optional('syncLookback', knoxSyncLookback(profile.durationOfEmailToSync)),
    ...knoxSyncSchedule(profile.emailSyncSchedule),
    syncContacts: profile.syncContacts ? 1 : 0,
    syncCalendar: profile.syncCalendar ? 1 : 0,
    ...(identity ? { certificateAlias: identity.alias, certificateStorageName: identity.storageName } : {}),
  };

  return {
    schema: knoxAccountSchemaId,
    accountKey: refs.accountKey,
    account,
    dataSyncs: { calendar: profile.syncCalendar, contacts: profile.syncContacts, tasks: profile.syncTasks, notes: false },
    smime: profile.requireSmime
      ? { signingCertificate: smimeCertificateOrThrow(refs), requireSignedMessages: true, requireEncryptedMessages: false }
      : null,
  };
}

function identityCertificateOrThrow(profile: KnoxEmailProfileSettings, refs: KnoxAccountRefs): KnoxCertificateRef | null {
  const alias = certificateAliasOrThrow(profile.authenticationMethod, refs.identityCertificate?.alias, 'Samsung Knox');
  return alias === null ? null : (refs.identityCertificate ?? null);
}

function smimeCertificateOrThrow(refs: KnoxAccountRefs): KnoxCertificateRef {
  const certificate = refs.smimeSigningCertificate;
  if (certificate === undefined || certificate.alias.trim() === '') {
    throw unprocessable(
      'smimeSigningCertificateMissing',
      'The profile requires S/MIME but no signing certificate has been delivered to the device yet.',
      'smimeSigningCertificate',
    );
  }
  return certificate;
}

/** `{ [key]: value }` when there is a value, else nothing: absent Knox fields keep the Knox default. */
function optional<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return value === null ? {} : ({ [key]: value } as { [P in K]?: V });
}
