import type { DeliveryError, DeliveryOperationKind } from '../../domain/delivery/index.ts';
import type { KnoxCommandEvent, KnoxCommandType, KnoxErrorCode } from './agent-messages.ts';

/** What the delivery core should record for an agent event (`DeliveryService.recordResult`), if anything. */
export type KnoxEventOutcome =
  /** Only the channel notes it: an account was applied, its add-result is still to come. */
  | { kind: 'noted' }
  | { kind: 'acknowledged' }
  | { kind: 'failed'; error: DeliveryError }
  /** The event cannot answer this command (400 naming `event`; nothing changes). */
  | { kind: 'invalid'; message: string };

/** Which Knox command a delivery operation becomes. */
export function knoxCommandTypeOf(isAccount: boolean, kind: DeliveryOperationKind): KnoxCommandType {
  if (!isAccount) return kind === 'remove' ? 'removeCertificate' : 'installCertificate';
  switch (kind) {
    case 'install':
      return 'installAccount';
    case 'update':
      return 'updateAccount';
    case 'replace':
      return 'replaceAccount';
    case 'remove':
      return 'removeAccount';
  }
}

interface ErrorRule {
  errorClass: DeliveryError['errorClass'];
  /** What the admin reads in the status, before the agent's own message. */
  meaning: string;
}

/**
 * Error classes per agent error code (delivery README §4): what a later attempt can fix is
 * `transient` (retried on the core's backoff), what needs an admin is `terminal`. A user-made
 * duplicate is never a failure on Knox: the agent overwrites it (`overwroteUserAccount`).
 */
export const knoxErrorRules: Readonly<Record<KnoxErrorCode, ErrorRule>> = {
  authenticationFailed: { errorClass: 'transient', meaning: 'the Exchange server refused the account\'s credentials; the user must enter the correct password on the device' },
  serverCertificateUntrusted: {
    errorClass: 'transient',
    meaning: 'the device does not trust the Exchange server\'s TLS certificate (requireSsl is on); assign an androidTrustedRootCertificate profile with the root of the server\'s certificate to this device',
  },
  serverUnreachable: { errorClass: 'transient', meaning: 'the device could not reach the Exchange server' },
  knoxApiRefused: { errorClass: 'transient', meaning: 'Knox refused the account (ExchangeAccountPolicy returned -1)' },
  knoxLicenseInactive: { errorClass: 'terminal', meaning: 'the device has no active Knox licence; activate the KPE licence in the agent' },
  invalidCommand: { errorClass: 'terminal', meaning: 'the agent could not read the command' },
  notSupported: { errorClass: 'terminal', meaning: 'the device\'s Knox version cannot do this' },
};

/**
 * Maps an agent event about a command of `type` to what the delivery core records
 * (docs/agent-protocol.md, "Result events"; decision 0019):
 * - account install/update/replace: `applied` is noted only (Knox validates the account
 *   asynchronously); `validated` acknowledges; `failed` fails with the error's class;
 * - certificate install: `applied` (or `validated`) acknowledges — a certificate has no validation;
 * - removals: `removed` acknowledges (also when it was not there), `failed` fails;
 * - any other pairing is invalid and changes nothing.
 * A `failed` without `error` is a transient `knoxApiRefused`.
 */
export function knoxEventOutcome(type: KnoxCommandType, event: KnoxCommandEvent): KnoxEventOutcome {
  if (event.event === 'failed') {
    const code = event.error?.code ?? 'knoxApiRefused';
    const rule = knoxErrorRules[code];
    const detail = event.error?.message?.trim();
    const result = event.error?.knoxResult === undefined ? '' : ` (Knox result ${event.error.knoxResult})`;
    return { kind: 'failed', error: { errorClass: rule.errorClass, code, message: `${rule.meaning}${result}${detail ? `: ${detail}` : ''}` } };
  }
  const removal = type === 'removeAccount' || type === 'removeCertificate';
  if (removal) {
    return event.event === 'removed' ? { kind: 'acknowledged' } : { kind: 'invalid', message: `A ${type} command is answered with 'removed' or 'failed', not '${event.event}'.` };
  }
  if (event.event === 'removed') return { kind: 'invalid', message: `A ${type} command is answered with 'applied', 'validated' or 'failed', not 'removed'.` };
  if (type === 'installCertificate') return { kind: 'acknowledged' };
  return event.event === 'applied' ? { kind: 'noted' } : { kind: 'acknowledged' };
}
