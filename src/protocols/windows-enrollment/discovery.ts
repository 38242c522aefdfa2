import { messageFormatFault } from './enrollment-fault.ts';
import { enrollmentVersion, minimumRequestVersion, namespaces, onPremiseAuthPolicy, soapActions } from './mde2-names.ts';
import { isNode, textOf, type SoapEnvelope } from './soap-envelope.ts';
import { renderSoapEnvelope } from './soap-response.ts';

/** The `Discover` request ([MS-MDE2] §3.1.4.1.3.1 DiscoveryRequest). Only `RequestVersion` decides anything. */
export interface DiscoverRequest {
  /** What the user typed (a UPN, or `domain\user`). */
  emailAddress: string | null;
  /** As sent, e.g. `4.0`, `5.0`, `9.0`. */
  requestVersion: string;
  deviceType: string | null;
  applicationVersion: string | null;
  osEdition: string | null;
  /** `AuthPolicies/AuthPolicy` values; empty when the element is absent. */
  authPolicies: string[];
}

/**
 * Reads `s:Body/Discover/request`. Faults (`s:messageformat`, naming the element): no `Discover` or
 * `request` element; no `RequestVersion`, or one that is not a decimal number; a version below 4.0
 * (with `DeviceNotSupported`, 80180014: the device must be upgraded); `AuthPolicies` that do not offer
 * `OnPremise`, the one policy Envelope serves. Any version from 4.0 up is accepted, whatever its minor
 * part (delivery-protocols b.1: Windows 11 25H2 sends 9.0).
 */
export function readDiscoverRequest(envelope: SoapEnvelope): DiscoverRequest {
  const discover = envelope.body.Discover;
  if (!isNode(discover)) throw messageFormatFault('The SOAP body has no Discover element.');
  const request = discover.request;
  if (!isNode(request)) throw messageFormatFault('Discover has no request element.');
  const requestVersion = textOf(request.RequestVersion);
  if (requestVersion === undefined || requestVersion === '') throw messageFormatFault('Discover/request has no RequestVersion.');
  if (!/^\d{1,4}(\.\d{1,4})?$/.test(requestVersion)) {
    throw messageFormatFault(`RequestVersion '${requestVersion.slice(0, 32)}' is not a version number such as 4.0.`);
  }
  if (Number(requestVersion) < minimumRequestVersion) {
    throw messageFormatFault(`RequestVersion ${requestVersion} is not supported: Envelope enrolls devices that speak MS-MDE2 ${minimumRequestVersion}.0 or later (Windows 10 and 11).`, 'DeviceNotSupported');
  }
  const policies = request.AuthPolicies;
  const authPolicies = isNode(policies) && Array.isArray(policies.AuthPolicy)
    ? policies.AuthPolicy.map((policy) => textOf(policy) ?? '').filter((policy) => policy !== '')
    : [];
  if (authPolicies.length > 0 && !authPolicies.includes(onPremiseAuthPolicy)) {
    throw messageFormatFault(`The device offers the authentication policies ${authPolicies.join(', ')}; Envelope enrolls with ${onPremiseAuthPolicy} only (user name and enrollment token).`);
  }
  return {
    emailAddress: textOf(request.EmailAddress) ?? null,
    requestVersion,
    deviceType: textOf(request.DeviceType) ?? null,
    applicationVersion: textOf(request.ApplicationVersion) ?? null,
    osEdition: textOf(request.OSEdition) ?? null,
    authPolicies,
  };
}

export interface DiscoverResponseUrls {
  /** The MS-XCEP policy service; on the same host as the enrollment service (on-premise-authentication-device-enrollment.md). */
  enrollmentPolicyServiceUrl: string;
  enrollmentServiceUrl: string;
}

/** `DiscoverResponse/DiscoverResult` with `AuthPolicy` OnPremise and `EnrollmentVersion` 4.0 ([MS-MDE2] §3.1.4.1.3.2). */
export function renderDiscoverResponse(urls: DiscoverResponseUrls, header: { relatesTo: string; activityId: string }): string {
  return renderSoapEnvelope(
    { action: soapActions.discoverResponse, relatesTo: header.relatesTo, activityId: header.activityId },
    {
      DiscoverResponse: {
        '@_xmlns': namespaces.discovery,
        DiscoverResult: {
          AuthPolicy: onPremiseAuthPolicy,
          EnrollmentVersion: enrollmentVersion,
          EnrollmentPolicyServiceUrl: urls.enrollmentPolicyServiceUrl,
          EnrollmentServiceUrl: urls.enrollmentServiceUrl,
        },
      },
    },
  );
}
