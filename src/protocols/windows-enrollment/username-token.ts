import { invalidSecurityFault } from './enrollment-fault.ts';
import { tokenTypes } from './mde2-names.ts';
import { attributeOf, firstOf, isNode, textOf, type SoapEnvelope } from './soap-envelope.ts';

/** The OnPremise credential: `wsse:Security/wsse:UsernameToken` of GetPolicies and the RST. */
export interface UsernameToken {
  /** What the user typed as their work account (Envelope expects the UPN). */
  username: string;
  /** `PasswordText`: the enrollment token. Never log it. */
  password: string;
}

/** Longer than any UPN (RFC 5321 path) or enrollment token; a guard, not a rule. */
const maxCredentialLength = 1024;

/**
 * Reads the OnPremise credential (on-premise-authentication-device-enrollment.md, "Enrollment policy
 * web service"). Faults with `a:invalidsecurity` (80180007) naming what is missing: no
 * `wsse:Security` header, no `UsernameToken`, an empty user name or password, a password whose
 * `Type` is not `PasswordText` (a `PasswordDigest` cannot be checked against a stored hash), or a
 * value longer than any real credential. Fault reasons never repeat the password.
 */
export function readUsernameToken(envelope: SoapEnvelope): UsernameToken {
  const security = firstOf(envelope.header.Security);
  if (!isNode(security)) {
    throw invalidSecurityFault('The SOAP header has no wsse:Security element: OnPremise enrollment sends the user name and enrollment token in a wsse:UsernameToken.');
  }
  const token = firstOf(security.UsernameToken);
  if (!isNode(token)) throw invalidSecurityFault('wsse:Security has no wsse:UsernameToken with the user name and enrollment token.');
  const username = textOf(token.Username) ?? '';
  const password = textOf(token.Password) ?? '';
  if (username === '') throw invalidSecurityFault('wsse:UsernameToken has no Username: enter your work account (user principal name).');
  if (password === '') throw invalidSecurityFault('wsse:UsernameToken has no Password: enter the enrollment token your administrator gave you.');
  const type = attributeOf(token.Password, 'Type');
  if (type !== undefined && type !== tokenTypes.passwordText) {
    throw invalidSecurityFault(`wsse:Password has Type '${type.slice(0, 200)}'; Envelope reads PasswordText only.`);
  }
  if (username.length > maxCredentialLength || password.length > maxCredentialLength) {
    throw invalidSecurityFault(`wsse:UsernameToken values are limited to ${maxCredentialLength} characters.`);
  }
  return { username, password };
}
