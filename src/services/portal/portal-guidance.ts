import type { AndroidManagementMode, DeviceOperatingSystem } from '../../domain/directory.ts';
import type { ComplianceStatus } from '../../domain/delivery/delivery-status.ts';

/**
 * What an end user sees for one email profile on one of their devices: the condition in a word, one
 * sentence, and the steps they can take. Derived only from the server's own status (Graph status,
 * Envelope `reasonCode` and `endUserMessage`, see domain/delivery/delivery-status.ts), never a
 * second classification: the portal only adds the platform's concrete steps.
 */
export const portalConditions = ['actionNeeded', 'contactIt', 'inProgress', 'ready', 'kept'] as const;
export type PortalCondition = (typeof portalConditions)[number];

export interface PortalGuidance {
  condition: PortalCondition;
  /** The condition in words an end user understands ("Action needed", "Ready"). */
  label: string;
  message: string;
  /** What to do, in order; empty when there is nothing to do. */
  steps: string[];
}

export interface GuidanceInput {
  operatingSystem: DeviceOperatingSystem;
  androidManagementMode: AndroidManagementMode | null;
  status: ComplianceStatus;
  reasonCode: string;
  endUserMessage: string | null;
  /** The account the profile creates, parsed from its identity key; null when unknown. */
  account: { host: string | null; address: string } | null;
}

const labels: Record<PortalCondition, string> = {
  actionNeeded: 'Action needed',
  contactIt: 'Contact your IT department',
  inProgress: 'Being set up',
  ready: 'Ready',
  kept: 'No longer managed',
};

/** The worst condition first: a device shows the most urgent of its profiles'. */
export const conditionOrder: readonly PortalCondition[] = ['actionNeeded', 'contactIt', 'inProgress', 'kept', 'ready'];

const checkAgainStep = 'Then choose "Check again" on this page: your device checks in and Envelope sets up the company account.';

/**
 * The guidance for one profile's status on a device; null for rows an end user has no use for (a
 * profile removed from the device, or one that does not apply to this kind of device).
 */
export function guidanceFor(input: GuidanceInput): PortalGuidance | null {
  const make = (condition: PortalCondition, message: string, steps: string[] = []): PortalGuidance => ({ condition, label: labels[condition], message, steps });
  const isApple = input.operatingSystem === 'iOS' || input.operatingSystem === 'iPadOS';

  if (input.reasonCode === 'duplicateAccount') {
    const name = input.account ? `'${input.account.address}'${input.account.host ? ` (server ${input.account.host})` : ''}` : 'for your work email';
    const steps = isApple
      ? ['Open Settings, then Mail, then Accounts.', `Tap the account ${name} that you added yourself and choose Delete Account.`, checkAgainStep]
      : [`Remove the email account ${name} that you added yourself from the device's email settings.`, checkAgainStep];
    return make('actionNeeded', input.endUserMessage ?? 'An email account you set up yourself blocks the company account.', steps);
  }
  if (input.reasonCode === 'osVersionTooOld') {
    return make('actionNeeded', input.endUserMessage ?? 'Update your device\'s operating system to receive company email.', [
      isApple ? 'Open Settings, then General, then Software Update, and install the update.' : 'Install the latest system update on this device.',
      checkAgainStep,
    ]);
  }
  switch (input.status) {
    case 'compliant':
      if (input.endUserMessage !== null) return make('actionNeeded', input.endUserMessage, ['When your device asks for your email password, enter it.']);
      return make('ready', 'Company email is set up on this device.');
    case 'unknown':
      if (input.endUserMessage !== null && input.reasonCode !== 'waitingForCertificate') return make('actionNeeded', input.endUserMessage, ['When your device asks for your email password, enter it.']);
      return make('inProgress', input.endUserMessage ?? 'Your device is receiving the company email settings. This usually takes a few minutes; keep it switched on and connected. If nothing changes, choose "Check again".');
    case 'notApplicable':
      if (input.reasonCode === 'platformMismatch') return null;
      return make('contactIt', input.endUserMessage ?? 'Company email cannot be set up on this device.', ['Contact your IT department.']);
    case 'notAssigned':
      if (input.reasonCode !== 'onlyEmailProfile') return null;
      return make('kept', input.endUserMessage ?? 'This email account is no longer managed by your company.');
    case 'error':
    case 'conflict':
    case 'nonCompliant':
    case 'remediated':
      return make('contactIt', input.endUserMessage ?? 'Company email could not be set up on this device. Contact your IT department.', [
        `Contact your IT department and mention the reason "${input.reasonCode}".`,
      ]);
  }
}

/** `ios|host|address`, `windows|host|address`, `knox|address`, `androidEnterprise|package|address` → the parts a user recognises. */
export function accountOfIdentityKey(key: string | null): { host: string | null; address: string } | null {
  if (key === null) return null;
  const [namespace, ...rest] = key.split('|');
  if (namespace === 'ios' || namespace === 'windows') return rest.length >= 2 ? { host: rest[0]!, address: rest.slice(1).join('|') } : null;
  if (namespace === 'knox') return rest.length >= 1 ? { host: null, address: rest.join('|') } : null;
  if (namespace === 'androidEnterprise') return rest.length >= 2 ? { host: null, address: rest.slice(1).join('|') } : null;
  return null;
}
