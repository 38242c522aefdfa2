/**
 * The alerts of SPEC §7: problems in delivery status that need an admin, each with the fix in one
 * sentence. Computed from the delivery ledger and the push certificate; see services/alerts.
 * Two Envelope profiles that would overwrite each other on Knox (same address, different hosts) are
 * `profileConflict`; a user who keeps re-creating an account Knox overwrites is `knoxOverwriteLoop`.
 */

/** How many overwrites of one user-made account make a loop: the first, then at least one re-creation. */
export const knoxOverwriteLoopThreshold = 2;
export const alertKinds = [
  'duplicateAccountBlocks',
  'profileConflict',
  'certificateChainIncomplete',
  'androidAppNotInstalled',
  'knoxOverwriteLoop',
  'noPrimaryUser',
  'userAttributeMissing',
  'stuckPending',
  'pushCertificateExpiring',
] as const;
export type AlertKind = (typeof alertKinds)[number];

export type AlertSeverity = 'critical' | 'warning';

export interface AlertDefinition {
  severity: AlertSeverity;
  title: string;
  fix: string;
}

export const alertDefinitions: Readonly<Record<AlertKind, AlertDefinition>> = {
  duplicateAccountBlocks: {
    severity: 'warning',
    title: 'iOS devices blocked by an email account the user made',
    fix: 'Ask each user to remove the email account they added themselves (the company portal shows how); the profile installs at the device\'s next retry.',
  },
  profileConflict: {
    severity: 'critical',
    title: 'Envelope profiles that would create the same account on a device (iOS/Windows: same host and address; Knox: same address; Android Enterprise: same app)',
    fix: 'Unassign all but one of the colliding profiles from these devices, or give them different hosts or address sources.',
  },
  certificateChainIncomplete: {
    severity: 'critical',
    title: 'Profiles waiting for a certificate profile that is not assigned or cannot be delivered (identity certificate or trusted root missing)',
    fix: 'Assign the identity certificate and its trusted root certificate profiles to the same groups as the email profile, and fix whichever of them is in error.',
  },
  androidAppNotInstalled: {
    severity: 'warning',
    title: 'Android Enterprise devices without the email app (Gmail or Nine Work) in the work profile',
    fix: 'Install the email app in the work profile, e.g. as a required app in managed Google Play; the profile applies once it is there.',
  },
  knoxOverwriteLoop: {
    severity: 'warning',
    title: 'Samsung Knox devices where the user keeps re-creating an email account that Envelope\'s overwrites',
    fix: 'Tell each user that the company account already has their address and replaces any account they add with it, so they stop adding one; the company portal shows their devices\' accounts.',
  },
  noPrimaryUser: {
    severity: 'warning',
    title: 'Devices targeted by a profile that have no primary user',
    fix: 'Set a primary user on each device, or stop targeting it through a device group.',
  },
  userAttributeMissing: {
    severity: 'warning',
    title: 'Users lacking a directory attribute a profile needs (username, domain or email address)',
    fix: 'Fill in the attribute the message names for each user in the directory (or SCIM), or change the profile\'s source for it.',
  },
  stuckPending: {
    severity: 'warning',
    title: 'Profiles pending for longer than expected',
    fix: 'Check that the devices are online and reach Envelope, then resend the profile to its stuck devices (resend with statuses [\'stuck\']).',
  },
  pushCertificateExpiring: {
    severity: 'warning',
    title: 'The Apple MDM push certificate expires within 30 days',
    fix: 'Renew the push certificate at identity.apple.com with the same Apple ID and upload it (PUT /envelope/applePushCertificate) before it expires; a new Apple ID means re-enrolling every Apple device.',
  },
};

/** The push certificate alert starts this long before expiry. */
export const pushCertificateWarningMs = 30 * 24 * 60 * 60_000;
