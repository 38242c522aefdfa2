import { createSign } from 'node:crypto';
import { fcmScope } from './fcm-endpoints.ts';
import type { FcmServiceAccount } from './service-account.ts';

/** How long an assertion is valid (Google accepts at most one hour). */
const assertionLifetimeSeconds = 3600;

/**
 * The signed JWT a service account exchanges for an access token (RFC 7523 JWT bearer grant): RS256,
 * `iss` the service account, `scope` FCM, `aud` the token endpoint, issued `nowMs`, valid one hour.
 * Google: https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
 */
export function serviceAccountAssertion(account: FcmServiceAccount, tokenUrl: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(account.privateKeyId === null ? {} : { kid: account.privateKeyId }) };
  const claims = { iss: account.clientEmail, scope: fcmScope, aud: tokenUrl, iat, exp: iat + assertionLifetimeSeconds };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(account.privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** The form body of the token request. */
export function tokenRequestBody(assertion: string): string {
  return new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
