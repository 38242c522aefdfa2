import { Type, type Static } from 'typebox';
import { KnoxAccountEnvelope, KnoxCertificateRef } from '../../payloads/android/knox-account-schema.ts';

/**
 * The Knox agent protocol's messages (docs/agent-protocol.md): JSON over HTTPS between Envelope and
 * its Samsung Knox device agent. Envelope defines this protocol (delivery-protocols c.1); these
 * TypeBox schemas are the one source of the route validation, the TypeScript types and the OpenAPI
 * document. Every object is closed: an unknown property is refused naming it, and nothing Envelope
 * did not mean to send can leave in a response.
 */

const printable = '^[\\x20-\\x7E]+$';

/** What the agent tells about the device at enrollment (and later in `PATCH /device`). */
export const KnoxDeviceFacts = Type.Object(
  {
    serialNumber: Type.String({ minLength: 1, maxLength: 64, pattern: printable, description: 'The hardware serial number (Build.getSerial()); a device enrolling again replaces its earlier enrollment.' }),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Build.MODEL, e.g. SM-G991B.' })),
    deviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'The name shown to admins; default "<model> <serial>".' })),
    androidVersion: Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9]+(\\.[0-9]+){0,2}$', description: 'Build.VERSION.RELEASE, e.g. 14 or 13.0.1.' }),
    knoxVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9]+(\\.[0-9]+){0,2}$', description: 'EnterpriseDeviceManager.getAPILevel() as a version, e.g. 3.10.' })),
    fcmToken: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: printable, description: 'The Firebase Cloud Messaging registration token; without it the agent is only polled.' })),
  },
  { additionalProperties: false },
);
export type KnoxDeviceFacts = Static<typeof KnoxDeviceFacts>;

export const KnoxEnrollRequest = Type.Object(
  {
    enrollmentToken: Type.String({ minLength: 1, maxLength: 256, description: 'The enrollment token (platform Android) from the link the user opened: its `token` query parameter.' }),
    device: KnoxDeviceFacts,
  },
  { additionalProperties: false },
);
export type KnoxEnrollRequest = Static<typeof KnoxEnrollRequest>;

export const KnoxEnrollResponse = Type.Object(
  {
    deviceId: Type.String({ format: 'uuid', description: 'The managed device id.' }),
    credential: Type.String({ description: 'The device credential (`kxa_…`): sent as `Authorization: Bearer <credential>` on every agent request. Shown once; Envelope keeps only its SHA-256.' }),
    apiUrl: Type.String({ description: 'The base URL of the agent API (`…/mdm/knox/v1`).' }),
    pollIntervalSeconds: Type.Integer({ description: 'How often to fetch commands when no push arrives.' }),
  },
  { additionalProperties: false },
);
export type KnoxEnrollResponse = Static<typeof KnoxEnrollResponse>;

export const knoxCommandTypes = ['installAccount', 'updateAccount', 'replaceAccount', 'removeAccount', 'installCertificate', 'removeCertificate'] as const;
export type KnoxCommandType = (typeof knoxCommandTypes)[number];

/** A trusted root for the device's credential storage (Knox `CertificateProvisioning.installCertificateToKeystore`). */
export const KnoxTrustedCertificate = Type.Object(
  {
    alias: Type.String({ minLength: 1, description: 'Envelope\'s alias for it: the profile id.' }),
    certificate: Type.String({ minLength: 1, description: 'The X.509 certificate, base64 DER.' }),
  },
  { additionalProperties: false },
);

const CommandId = Type.String({ format: 'uuid' });

/**
 * One command. `type` says which other fields are present:
 * - `installAccount`, `updateAccount`: `exchangeAccount` (find the account under its `accountKey`,
 *   update it in place, else add it; Knox keys accounts by address, so an account with the same
 *   address the user made is overwritten — say so with `overwroteUserAccount`);
 * - `replaceAccount`: `previousAccountKey` (delete that account first), then `exchangeAccount`;
 * - `removeAccount`: `accountKey`;
 * - `installCertificate`: `certificate`; `removeCertificate`: `certificateAlias`.
 */
export const KnoxCommand = Type.Object(
  {
    commandId: CommandId,
    type: Type.Union([
      Type.Literal('installAccount'), Type.Literal('updateAccount'), Type.Literal('replaceAccount'), Type.Literal('removeAccount'),
      Type.Literal('installCertificate'), Type.Literal('removeCertificate'),
    ]),
    profileId: Type.String({ format: 'uuid' }),
    profileVersion: Type.Integer(),
    exchangeAccount: Type.Optional(Type.Object(KnoxAccountEnvelope.properties, { additionalProperties: false })),
    previousAccountKey: Type.Optional(Type.String()),
    accountKey: Type.Optional(Type.String()),
    certificate: Type.Optional(KnoxTrustedCertificate),
    certificateAlias: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type KnoxCommand = Static<typeof KnoxCommand>;
export { KnoxCertificateRef };

export const KnoxNextCommandResponse = Type.Object({ command: KnoxCommand }, { additionalProperties: false });

/**
 * Error codes the agent classifies a failure with. `authenticationFailed`: the Exchange server
 * refused the credentials (the user typed a wrong password); `serverCertificateUntrusted`: the
 * server's TLS certificate does not chain to a root the device trusts; `serverUnreachable`;
 * `knoxApiRefused`: an `ExchangeAccountPolicy` call returned -1 or failed; `knoxLicenseInactive`: no
 * active KPE licence; `invalidCommand`: the agent could not read the command; `notSupported`:
 * this agent cannot do it (an old Knox version).
 */
export const knoxErrorCodes = ['authenticationFailed', 'serverCertificateUntrusted', 'serverUnreachable', 'knoxApiRefused', 'knoxLicenseInactive', 'invalidCommand', 'notSupported'] as const;
export type KnoxErrorCode = (typeof knoxErrorCodes)[number];

/**
 * An event about one command. For accounts, Knox answers asynchronously and possibly several times
 * (`EXCHANGE_ACCOUNT_ADD_RESULT`): `applied` when `addNewAccount`/the setters returned an `accId`,
 * then `validated` or `failed` each time an add-result arrives. `removed`: the account or
 * certificate is gone (also when it was not there). Certificates have no validation: `applied` is
 * their final answer.
 */
export const KnoxCommandEvent = Type.Object(
  {
    event: Type.Union([Type.Literal('applied'), Type.Literal('validated'), Type.Literal('removed'), Type.Literal('failed')]),
    knoxAccountId: Type.Optional(Type.Integer({ minimum: 0, description: 'Knox\'s `accId` of the account.' })),
    overwroteUserAccount: Type.Optional(Type.Boolean({ description: 'With `applied`: an account with the same address that the user had made was overwritten.' })),
    error: Type.Optional(Type.Object(
      {
        code: Type.Union([
          Type.Literal('authenticationFailed'), Type.Literal('serverCertificateUntrusted'), Type.Literal('serverUnreachable'), Type.Literal('knoxApiRefused'),
          Type.Literal('knoxLicenseInactive'), Type.Literal('invalidCommand'), Type.Literal('notSupported'),
        ]),
        message: Type.Optional(Type.String({ maxLength: 512 })),
        knoxResult: Type.Optional(Type.Integer({ description: 'The add-result broadcast\'s RESULT extra, or the API\'s return value.' })),
      },
      { additionalProperties: false },
    )),
  },
  { additionalProperties: false },
);
export type KnoxCommandEvent = Static<typeof KnoxCommandEvent>;


/** One Exchange account on the device (`ExchangeAccountPolicy.getAllEASAccounts()`). */
export const KnoxInventoryAccount = Type.Object(
  {
    emailAddress: Type.String({ minLength: 1, maxLength: 320 }),
    serverAddress: Type.String({ minLength: 1, maxLength: 255 }),
    accountKey: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], { description: 'Envelope\'s account key when the agent made it; null for an account the user made.' }),
  },
  { additionalProperties: false },
);
export type KnoxInventoryAccount = Static<typeof KnoxInventoryAccount>;

export const KnoxInventory = Type.Object(
  {
    accounts: Type.Array(KnoxInventoryAccount, { maxItems: 200 }),
    certificateAliases: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 200, description: 'Aliases of the trusted roots the agent installed.' }),
  },
  { additionalProperties: false },
);
export type KnoxInventory = Static<typeof KnoxInventory>;

export const KnoxInventoryResponse = Type.Object(
  {
    verified: Type.Integer(),
    missing: Type.Integer(),
    userMadeDuplicates: Type.Integer({ description: 'Accounts the user made with the address of an Envelope account that is no longer there; Envelope overwrites them at the next fetch.' }),
  },
  { additionalProperties: false },
);

export const KnoxDeviceUpdate = Type.Object(
  {
    fcmToken: Type.Union([Type.String({ minLength: 1, maxLength: 4096, pattern: printable }), Type.Null()], { description: 'A new FCM registration token (onNewToken), or null when the agent has none any more.' }),
  },
  { additionalProperties: false },
);
export type KnoxDeviceUpdate = Static<typeof KnoxDeviceUpdate>;
