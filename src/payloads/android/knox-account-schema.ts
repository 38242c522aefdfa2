import Type, { type Static } from 'typebox';

/**
 * The contract between Envelope and its Knox device agent (JSON over HTTPS): one Exchange account,
 * ready for `ExchangeAccountPolicy.addNewAccount(ExchangeAccount)` and the per-account setters.
 * Closed objects throughout, so nothing Envelope did not mean to send — a password above all — can
 * validate. Field names inside `account` are Knox's `ExchangeAccount` field names verbatim
 * (reference/payload-formats.md §3.1); optional fields that are absent mean "leave the Knox default",
 * never "clear".
 * https://docs.samsungknox.com/devref/knox-sdk/reference/com/samsung/android/knox/accounts/ExchangeAccount.html
 *
 * Agent steps, in order:
 * 1. Find the account from an earlier install under `accountKey`; if there is none, `addNewAccount(account)`
 *    and remember the returned `accId` under `accountKey` (`-1` or a failed `EXCHANGE_ACCOUNT_ADD_RESULT`
 *    broadcast is an error to report). If there is one, update it in place with the setters.
 * 2. `setDataSyncs(dataSyncs.calendar, dataSyncs.contacts, dataSyncs.tasks, dataSyncs.notes, accId)`.
 * 3. With `smime`: `setForceSMIMECertificateAlias(accId, alias, storageName, ENFORCE_SMIME_ALIAS_TYPE_SIGN = 1)`
 *    and `setRequireSignedSMIMEMessages(accId, true)`, `setRequireEncryptedSMIMEMessages(accId, false)`;
 *    with `smime: null`, release any forced S/MIME alias.
 * 4. `sendAccountsChangedBroadcast()` (the legacy class buffers host/domain/email/user setters until then).
 * The user types the password on the device; the envelope never carries one.
 */

export const knoxAccountSchemaId = 'envelope.knox.exchangeAccount/1';

/** Knox / AOSP Email schedule sentinels and minutes: -2 push, -1 manual (never), else minutes. */
export const KnoxSyncSchedule = Type.Union([Type.Literal(-2), Type.Literal(-1), Type.Literal(15), Type.Literal(30), Type.Literal(60)]);
export type KnoxSyncSchedule = Static<typeof KnoxSyncSchedule>;

/** AOSP `SyncWindow` codes: 1 one day, 2 three days, 3 one week, 4 two weeks, 5 one month, 6 all. */
export const KnoxSyncLookback = Type.Union([
  Type.Literal(1),
  Type.Literal(2),
  Type.Literal(3),
  Type.Literal(4),
  Type.Literal(5),
  Type.Literal(6),
]);
export type KnoxSyncLookback = Static<typeof KnoxSyncLookback>;

const Text = Type.String({ minLength: 1 });
const Flag = Type.Union([Type.Literal(0), Type.Literal(1)]);
const MinuteOfDay = Type.Integer({ minimum: 0, maximum: 1439 });

/** A certificate already installed on the device, addressed the way Knox addresses it. */
export const KnoxCertificateRef = Type.Object(
  {
    alias: Text,
    storageName: Text,
  },
  { additionalProperties: false },
);
export type KnoxCertificateRef = Static<typeof KnoxCertificateRef>;

export const KnoxExchangeAccount = Type.Object(
  {
    displayName: Text,
    emailAddress: Text,
    easUser: Text,
    /** Windows domain; empty when the login has none (AOSP only prefixes `domain\` when non-empty). */
    easDomain: Type.String(),
    serverAddress: Text,
    useSSL: Type.Boolean(),
    useTLS: Type.Literal(false),
    /** The constructor default is `true`; Envelope always sends `false` explicitly. */
    acceptAllCertificates: Type.Literal(false),
    protocolVersion: Type.Literal('14.1'),
    syncLookback: Type.Optional(KnoxSyncLookback),
    syncInterval: Type.Optional(KnoxSyncSchedule),
    offPeak: Type.Optional(KnoxSyncSchedule),
    roamingSchedule: Type.Optional(KnoxSyncSchedule),
    /** Bit mask, Sunday = bit 0 … Saturday = bit 6. */
    peakDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
    peakStartTime: Type.Optional(MinuteOfDay),
    peakEndTime: Type.Optional(MinuteOfDay),
    syncContacts: Flag,
    syncCalendar: Flag,
    /** Certificate authentication with an installed identity (Knox MDM ≥ 17, else `addNewAccount` returns -1). */
    certificateAlias: Type.Optional(Text),
    certificateStorageName: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type KnoxExchangeAccount = Static<typeof KnoxExchangeAccount>;

export const KnoxAccountEnvelope = Type.Object(
  {
    schema: Type.Literal(knoxAccountSchemaId),
    /** Envelope's stable id for this account on this device; the agent maps it to Knox's `accId`. */
    accountKey: Text,
    account: KnoxExchangeAccount,
    /** Arguments of `setDataSyncs`; notes sync is known to fail on Knox, so it is always off. */
    dataSyncs: Type.Object(
      {
        calendar: Type.Boolean(),
        contacts: Type.Boolean(),
        tasks: Type.Boolean(),
        notes: Type.Literal(false),
      },
      { additionalProperties: false },
    ),
    smime: Type.Union([
      Type.Object(
        {
          signingCertificate: KnoxCertificateRef,
          requireSignedMessages: Type.Literal(true),
          requireEncryptedMessages: Type.Literal(false),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false, $id: knoxAccountSchemaId },
);
export type KnoxAccountEnvelope = Static<typeof KnoxAccountEnvelope>;
