/**
 * The settings the Create profile wizard offers, per email profile type: one table, from which the
 * wizard draws its form and builds the Graph POST body. Plain TypeScript (no DOM, no React) so that
 * `test/console/profile-fields.test.ts` can hold it against the server's schemas: every field is a
 * property the type's TypeBox schema accepts, every option a value it accepts, every property the
 * server requires on create is offered, and the certificate pickers list exactly the types the server
 * lets the link point at. SPEC §3 says which setting applies to which platform.
 *
 * Values in the form: text and choice fields hold strings ('' is "not set": null for a nullable
 * property, omitted for an optional one, sent as '' for a required one so the API names it), toggles
 * booleans, flags string arrays, certificate pickers a profile id ('' for none).
 */

/** The profile types the wizard creates, one per platform the admin picks. */
export const wizardTypes = [
  'iosEasEmailProfileConfiguration',
  'windows10EasEmailProfileConfiguration',
  'androidEasEmailProfileConfiguration',
  'androidWorkProfileGmailEasConfiguration',
  'androidWorkProfileNineWorkEasConfiguration',
] as const;
export type WizardType = (typeof wizardTypes)[number];

export const wizardPlatforms: readonly { type: WizardType; label: string; detail: string }[] = [
  { type: 'iosEasEmailProfileConfiguration', label: 'iOS/iPadOS', detail: 'Native Mail, delivered as a configuration profile over Apple MDM.' },
  { type: 'windows10EasEmailProfileConfiguration', label: 'Windows 10/11', detail: 'The Mail app, delivered as ActiveSync CSP settings over OMA-DM.' },
  { type: 'androidEasEmailProfileConfiguration', label: 'Samsung Knox Standard', detail: 'The Samsung email app, delivered by the Envelope agent.' },
  { type: 'androidWorkProfileGmailEasConfiguration', label: 'Android Enterprise work profile: Gmail', detail: 'Gmail in the work profile, as its managed configuration.' },
  { type: 'androidWorkProfileNineWorkEasConfiguration', label: 'Android Enterprise work profile: Nine Work', detail: 'Nine Work in the work profile, as its managed configuration.' },
];

export type FieldKind = 'text' | 'choice' | 'toggle' | 'flags' | 'certificate';
export type FieldValue = string | boolean | readonly string[];
export type FieldValues = Readonly<Record<string, FieldValue>>;

export interface FieldOption {
  /** The Graph value; '' stands for null ("not set"). */
  value: string;
  label: string;
}

/** A field shows only while the field `key` holds one of `is`. A condition on a field the type does not offer is skipped. */
export interface FieldCondition {
  key: string;
  is: readonly FieldValue[];
}

export interface FieldSpec {
  /** The Graph property sent (a setting, or `<navigation>@odata.bind` for a certificate link). */
  key: string;
  label: string;
  hint?: string;
  kind: FieldKind;
  section: FieldSection;
  types: readonly WizardType[];
  /** The server requires it on create (it has no default). */
  required?: boolean;
  options?: readonly FieldOption[];
  initial: FieldValue;
  /** Shown only when every condition holds. */
  when?: readonly FieldCondition[];
  /** Certificate pickers: the profile types the link may point at, per profile type. */
  certificateTypes?: Partial<Record<WizardType, readonly string[]>>;
}

export const fieldSections = ['Exchange server and account', 'Authentication', 'S/MIME', 'Synchronisation', 'Security and behaviour'] as const;
export type FieldSection = (typeof fieldSections)[number];

const all = wizardTypes;
const ios = ['iosEasEmailProfileConfiguration'] as const;
const iosWindows = ['iosEasEmailProfileConfiguration', 'windows10EasEmailProfileConfiguration'] as const;
const notAndroidEnterprise = ['iosEasEmailProfileConfiguration', 'windows10EasEmailProfileConfiguration', 'androidEasEmailProfileConfiguration'] as const;
const android = ['androidEasEmailProfileConfiguration', 'androidWorkProfileGmailEasConfiguration', 'androidWorkProfileNineWorkEasConfiguration'] as const;
const withAuthentication = ['iosEasEmailProfileConfiguration', 'androidEasEmailProfileConfiguration', 'androidWorkProfileGmailEasConfiguration', 'androidWorkProfileNineWorkEasConfiguration'] as const;
const withSmime = ['iosEasEmailProfileConfiguration', 'androidEasEmailProfileConfiguration'] as const;
const withSchedule = ['windows10EasEmailProfileConfiguration', 'androidEasEmailProfileConfiguration'] as const;
const withSyncToggles = ['windows10EasEmailProfileConfiguration', 'androidEasEmailProfileConfiguration', 'androidWorkProfileNineWorkEasConfiguration'] as const;

const iosCertificates = ['iosScepCertificateProfile', 'iosPkcsCertificateProfile'];
const knoxCertificates = ['androidScepCertificateProfile', 'androidPkcsCertificateProfile'];
const workProfileCertificates = ['androidWorkProfileScepCertificateProfile', 'androidWorkProfilePkcsCertificateProfile'];

const samAccountName = [
  { key: 'usernameAADSource', is: ['samAccountName'] },
  { key: 'usernameSource', is: ['samAccountName'] },
] as const;
const smimeOn = { key: 'requireSmime', is: [true] } as const;

const userEmailSourceOptions = [
  { value: 'userPrincipalName', label: 'User principal name' },
  { value: 'primarySmtpAddress', label: 'Primary SMTP address' },
];
const certificateTypeOptions = [
  { value: '', label: 'Not configured' },
  { value: 'none', label: 'None (the user picks one)' },
  { value: 'certificate', label: 'Certificate profile' },
];

export const profileFields: readonly FieldSpec[] = [
  {
    key: 'hostName', label: 'Email server', kind: 'text', section: 'Exchange server and account', types: all, required: true, initial: '',
    hint: 'The Exchange ActiveSync host name, e.g. outlook.office365.com (no https://, no path).',
  },
  { key: 'accountName', label: 'Account name', kind: 'text', section: 'Exchange server and account', types: notAndroidEnterprise, required: true, initial: '', hint: 'The name the user sees on the device.' },
  {
    key: 'usernameAADSource', label: 'Username attribute', kind: 'choice', section: 'Exchange server and account', types: iosWindows, initial: 'userPrincipalName',
    options: [...userEmailSourceOptions, { value: 'samAccountName', label: 'sAM account name' }],
  },
  {
    key: 'usernameSource', label: 'Username attribute', kind: 'choice', section: 'Exchange server and account', types: android, initial: 'userPrincipalName',
    options: [
      { value: 'userPrincipalName', label: 'User principal name' },
      { value: 'username', label: 'User name only (before the @)' },
      { value: 'samAccountName', label: 'sAM account name' },
      { value: 'primarySmtpAddress', label: 'Primary SMTP address' },
    ],
  },
  {
    key: 'userDomainNameSource', label: 'Domain of the sAM account name', kind: 'choice', section: 'Exchange server and account', types: notAndroidEnterprise, initial: '',
    options: [{ value: '', label: 'None' }, { value: 'fullDomainName', label: 'Full domain name' }, { value: 'netBiosDomainName', label: 'NetBIOS domain name' }],
    when: samAccountName,
  },
  {
    key: 'customDomainName', label: 'Custom domain name', kind: 'text', section: 'Exchange server and account', types: notAndroidEnterprise, initial: '',
    hint: 'A literal domain such as contoso.com or CONTOSO, instead of a domain attribute.', when: samAccountName,
  },
  { key: 'emailAddressSource', label: 'Email address attribute', kind: 'choice', section: 'Exchange server and account', types: all, initial: 'userPrincipalName', options: userEmailSourceOptions },
  {
    key: 'authenticationMethod', label: 'Authentication method', kind: 'choice', section: 'Authentication', types: withAuthentication, initial: 'usernameAndPassword',
    options: [{ value: 'usernameAndPassword', label: 'Username and password' }, { value: 'certificate', label: 'Certificate' }],
    hint: 'With a password, the user types it on the device: it is never part of the profile.',
  },
  {
    key: 'identityCertificate@odata.bind', label: 'Identity certificate', kind: 'certificate', section: 'Authentication', types: withAuthentication, initial: '',
    when: [{ key: 'authenticationMethod', is: ['certificate'] }],
    certificateTypes: {
      iosEasEmailProfileConfiguration: iosCertificates,
      androidEasEmailProfileConfiguration: knoxCertificates,
      androidWorkProfileGmailEasConfiguration: workProfileCertificates,
      androidWorkProfileNineWorkEasConfiguration: workProfileCertificates,
    },
  },
  { key: 'useOAuth', label: 'Use OAuth (modern authentication)', kind: 'toggle', section: 'Authentication', types: ios, initial: false },
  { key: 'requireSmime', label: 'Enable S/MIME', kind: 'toggle', section: 'S/MIME', types: withSmime, initial: false },
  { key: 'smimeSigningEnabled', label: 'Sign messages', kind: 'toggle', section: 'S/MIME', types: ios, initial: false, when: [smimeOn] },
  { key: 'signingCertificateType', label: 'Signing certificate type', kind: 'choice', section: 'S/MIME', types: ios, initial: '', options: certificateTypeOptions, when: [smimeOn] },
  {
    key: 'smimeSigningCertificate@odata.bind', label: 'Signing certificate', kind: 'certificate', section: 'S/MIME', types: withSmime, initial: '',
    when: [smimeOn, { key: 'signingCertificateType', is: ['certificate'] }],
    certificateTypes: { iosEasEmailProfileConfiguration: iosCertificates, androidEasEmailProfileConfiguration: knoxCertificates },
  },
  { key: 'smimeEncryptByDefaultEnabled', label: 'Encrypt by default', kind: 'toggle', section: 'S/MIME', types: ios, initial: false, when: [smimeOn] },
  { key: 'encryptionCertificateType', label: 'Encryption certificate type', kind: 'choice', section: 'S/MIME', types: ios, initial: '', options: certificateTypeOptions, when: [smimeOn] },
  {
    key: 'smimeEncryptionCertificate@odata.bind', label: 'Encryption certificate', kind: 'certificate', section: 'S/MIME', types: ios, initial: '',
    when: [smimeOn, { key: 'encryptionCertificateType', is: ['certificate'] }],
    certificateTypes: { iosEasEmailProfileConfiguration: iosCertificates },
  },
  {
    key: 'durationOfEmailToSync', label: 'Amount of email to synchronize', kind: 'choice', section: 'Synchronisation', types: all, initial: 'userDefined',
    options: [
      { value: 'userDefined', label: 'Not configured (the device decides)' },
      { value: 'oneDay', label: 'One day' },
      { value: 'threeDays', label: 'Three days' },
      { value: 'oneWeek', label: 'One week' },
      { value: 'twoWeeks', label: 'Two weeks' },
      { value: 'oneMonth', label: 'One month' },
      { value: 'unlimited', label: 'Unlimited' },
    ],
  },
  {
    key: 'emailSyncSchedule', label: 'Sync schedule', kind: 'choice', section: 'Synchronisation', types: withSchedule, initial: 'userDefined',
    options: [
      { value: 'userDefined', label: 'Not configured (the device decides)' },
      { value: 'asMessagesArrive', label: 'As messages arrive' },
      { value: 'manual', label: 'Manual' },
      { value: 'fifteenMinutes', label: 'Every 15 minutes' },
      { value: 'thirtyMinutes', label: 'Every 30 minutes' },
      { value: 'sixtyMinutes', label: 'Every 60 minutes' },
      { value: 'basedOnMyUsage', label: 'Based on my usage' },
    ],
  },
  {
    key: 'easServices', label: 'Content to synchronize', kind: 'flags', section: 'Synchronisation', types: ios, initial: [],
    hint: 'iOS 13 and later. None ticked: the device default (all).',
    options: [
      { value: 'email', label: 'Email' },
      { value: 'calendars', label: 'Calendars' },
      { value: 'contacts', label: 'Contacts' },
      { value: 'reminders', label: 'Reminders' },
      { value: 'notes', label: 'Notes' },
    ],
  },
  { key: 'syncCalendar', label: 'Sync the calendar', kind: 'toggle', section: 'Synchronisation', types: withSyncToggles, initial: false },
  { key: 'syncContacts', label: 'Sync contacts', kind: 'toggle', section: 'Synchronisation', types: withSyncToggles, initial: false },
  { key: 'syncTasks', label: 'Sync tasks', kind: 'toggle', section: 'Synchronisation', types: withSyncToggles, initial: false },
  { key: 'requireSsl', label: 'Use SSL', kind: 'toggle', section: 'Security and behaviour', types: all, initial: true },
  { key: 'blockSendingEmailFromThirdPartyApps', label: 'Block sending email from third-party apps', kind: 'toggle', section: 'Security and behaviour', types: ios, initial: false },
  { key: 'blockMovingMessagesToOtherEmailAccounts', label: 'Block moving messages to other email accounts', kind: 'toggle', section: 'Security and behaviour', types: ios, initial: false },
  { key: 'blockSyncingRecentlyUsedEmailAddresses', label: 'Block syncing recently used email addresses', kind: 'toggle', section: 'Security and behaviour', types: ios, initial: false },
];

/** The fields `type` offers, in table order. */
export function fieldsOf(type: WizardType): FieldSpec[] {
  return profileFields.filter((field) => field.types.includes(type));
}

/** The initial form values of `type`. */
export function initialValues(type: WizardType): Record<string, FieldValue> {
  return Object.fromEntries(fieldsOf(type).map((field) => [field.key, field.initial]));
}

/** Whether `field` shows for `type` with `values` (its conditions on fields `type` offers all hold). */
export function isShown(field: FieldSpec, type: WizardType, values: FieldValues): boolean {
  if (!field.types.includes(type)) return false;
  return (field.when ?? []).every((condition) => {
    const on = profileFields.find((f) => f.key === condition.key && f.types.includes(type));
    if (on === undefined) return true;
    return condition.is.includes(values[condition.key] ?? on.initial);
  });
}

/** The fields of `type` shown with `values`. */
export function shownFields(type: WizardType, values: FieldValues): FieldSpec[] {
  return fieldsOf(type).filter((field) => isShown(field, type, values));
}

/** The link a certificate picker sends for profile `id`. */
export function bindValueOf(id: string): string {
  return `deviceConfigurations('${id}')`;
}

/**
 * The Graph POST body for a new profile: the basics and every shown field; hidden fields are left out
 * (the server's default applies). The server validates it; nothing here adds a rule of its own.
 */
export function profileBody(type: WizardType, basics: { displayName: string; description: string }, values: FieldValues): Record<string, unknown> {
  const body: Record<string, unknown> = { '@odata.type': `#microsoft.graph.${type}`, displayName: basics.displayName };
  if (basics.description !== '') body.description = basics.description;
  for (const field of shownFields(type, values)) {
    const value = values[field.key] ?? field.initial;
    switch (field.kind) {
      case 'toggle':
        body[field.key] = value === true;
        break;
      case 'flags': {
        const ticked = Array.isArray(value) ? (value as readonly string[]) : [];
        body[field.key] = ticked.length === 0 ? null : ticked.join(',');
        break;
      }
      case 'certificate':
        if (typeof value === 'string' && value !== '') body[field.key] = bindValueOf(value);
        break;
      default: {
        const text = typeof value === 'string' ? value : '';
        if (text !== '' || field.required) body[field.key] = text;
        else if (field.options === undefined || field.options.some((o) => o.value === '')) body[field.key] = null;
      }
    }
  }
  return body;
}

/**
 * The step whose field an API error `target` names: 'basics' for the name and description, 'settings'
 * for a field `type` offers, null for anything else (the wizard then shows the message above the form).
 */
export function stepOfTarget(target: string | undefined, type: WizardType): 'basics' | 'settings' | null {
  if (target === undefined) return null;
  if (target === 'displayName' || target === 'description') return 'basics';
  return fieldsOf(type).some((field) => field.key === target) ? 'settings' : null;
}
