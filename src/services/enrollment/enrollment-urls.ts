import { conflict, type EnvelopeError } from '../../domain/errors.ts';
import type { EnrollmentPlatform } from '../../store/postgres/enrollment-token-store.ts';

/**
 * Device-facing paths, under ENVELOPE_PUBLIC_URL. The Apple server and check-in URLs are written into
 * every enrollment profile and can never change for an enrolled device (com.apple.mdm.yaml), so they
 * are fixed here and never derived from a request's Host header.
 */
export const appleDevicePaths = {
  enroll: '/mdm/apple/enroll',
  server: '/mdm/apple/server',
  checkIn: '/mdm/apple/checkin',
} as const;

/**
 * Samsung Knox agent paths, under ENVELOPE_PUBLIC_URL (docs/agent-protocol.md): the Android
 * enrollment link is the Knox agent's entry (Android Enterprise devices enroll through Google and are
 * served under /mdm/android/enterprise); `api` is the agent API every enrolled agent keeps.
 */
export const knoxDevicePaths = {
  enroll: '/mdm/android/enroll',
  api: '/mdm/knox/v1',
} as const;

/**
 * The link a user opens on the device to enroll with `token`. iPhones and Knox agents open an Envelope
 * page that carries the token. Windows has no such page: a PC enrolls through MS-MDE2 discovery with
 * the user's UPN as user name and the token as password (decision 0016), so its link is Microsoft's
 * enrollment deep link (`ms-device-enrollment:?mode=mdm&username=<upn>&servername=<discovery URL>`,
 * mobile-device-enrollment.md), which opens Settings › Access work or school › "Enroll only in device
 * management" with both filled in; the token is never in it (the PC asks for it as the password).
 */
export function enrollmentUrlFor(publicUrl: string, platform: EnrollmentPlatform, token: string, userPrincipalName: string): string {
  if (platform === 'Windows') return windowsEnrollmentDeepLink(publicUrl, userPrincipalName);
  const path = platform === 'iOS' ? appleDevicePaths.enroll : knoxDevicePaths.enroll;
  return `${publicUrl}${path}?token=${encodeURIComponent(token)}`;
}

/** Microsoft's MDM-only enrollment deep link for `userPrincipalName` against this server's discovery service. */
export function windowsEnrollmentDeepLink(publicUrl: string, userPrincipalName: string): string {
  // Query values percent-encoded, except the '@', ':' and '/' Microsoft's own examples write as they are
  // (all three are allowed in a URI's query, RFC 3986 §3.4).
  const value = (text: string) => encodeURIComponent(text).replace(/%40/g, '@').replace(/%3A/g, ':').replace(/%2F/g, '/');
  return `ms-device-enrollment:?mode=mdm&username=${value(userPrincipalName)}&servername=${value(`${publicUrl}${windowsDevicePaths.discovery}`)}`;
}

/** 409 when ENVELOPE_PUBLIC_URL is unset: device URLs cannot be guessed from a request. */
export function publicUrlMissing(): EnvelopeError {
  return conflict(
    'ENVELOPE_PUBLIC_URL is not set. Devices enroll at URLs under it that cannot change later; set it to the server\'s external https URL (e.g. https://envelope.example.com) and restart.',
  );
}

/** The Apple MDM URLs for a deployment; throws a 409 naming ENVELOPE_PUBLIC_URL when it is unset or not https. */
export function appleMdmUrlsOrThrow(publicUrl: string | null): { serverUrl: string; checkInUrl: string } {
  if (publicUrl === null) throw publicUrlMissing();
  if (!publicUrl.startsWith('https://')) {
    throw conflict(`ENVELOPE_PUBLIC_URL is '${publicUrl}'; Apple devices accept only https MDM URLs. Set it to the server's external https URL and restart.`);
  }
  return { serverUrl: `${publicUrl}${appleDevicePaths.server}`, checkInUrl: `${publicUrl}${appleDevicePaths.checkIn}` };
}

/**
 * Windows device-facing paths, under ENVELOPE_PUBLIC_URL. Discovery is where Windows looks for it
 * (`https://enterpriseenrollment.<upn domain>/EnrollmentServer/Discovery.svc`); the policy and
 * enrollment services must be on the same host (on-premise-authentication-device-enrollment.md);
 * `management` is the OMA-DM URL written into every PC's w7 APPLICATION `ADDR`, which an enrolled PC
 * keeps, so none of these ever changes.
 */
export const windowsDevicePaths = {
  discovery: '/EnrollmentServer/Discovery.svc',
  policy: '/EnrollmentServer/Policy.svc',
  enrollment: '/EnrollmentServer/Enrollment.svc',
  management: '/ManagementServer/MDM.svc',
} as const;

/**
 * The w7 APPLICATION `PROVIDER-ID` and the DMClient CSP node name
 * (`./Vendor/MSFT/DMClient/Provider/Envelope/…`): they must match (DMClient CSP), and an enrolled PC
 * keeps them.
 */
export const windowsMdmProviderId = 'Envelope';

/** The Windows enrollment and management URLs of a deployment; a 409 naming ENVELOPE_PUBLIC_URL when it is unset or not https. */
export function windowsMdmUrlsOrThrow(publicUrl: string | null): { discoveryUrl: string; policyUrl: string; enrollmentUrl: string; managementUrl: string } {
  if (publicUrl === null) throw publicUrlMissing();
  if (!publicUrl.startsWith('https://')) {
    throw conflict(`ENVELOPE_PUBLIC_URL is '${publicUrl}'; Windows enrolls and is managed over https only. Set it to the server's external https URL and restart.`);
  }
  return {
    discoveryUrl: `${publicUrl}${windowsDevicePaths.discovery}`,
    policyUrl: `${publicUrl}${windowsDevicePaths.policy}`,
    enrollmentUrl: `${publicUrl}${windowsDevicePaths.enrollment}`,
    managementUrl: `${publicUrl}${windowsDevicePaths.management}`,
  };
}

/** The Knox agent API's base URL of a deployment; a 409 naming ENVELOPE_PUBLIC_URL when it is unset or not https. */
export function knoxAgentApiUrlOrThrow(publicUrl: string | null): string {
  if (publicUrl === null) throw publicUrlMissing();
  if (!publicUrl.startsWith('https://')) {
    throw conflict(`ENVELOPE_PUBLIC_URL is '${publicUrl}'; the Knox agent talks to Envelope over https only. Set it to the server's external https URL and restart.`);
  }
  return `${publicUrl}${knoxDevicePaths.api}`;
}
