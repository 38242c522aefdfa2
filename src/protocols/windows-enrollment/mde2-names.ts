/**
 * The names MS-MDE2 and the protocols it builds on use on the wire: SOAP actions, namespaces and
 * token types. Sources: [MS-MDE2] §2.2 and §3 (https://learn.microsoft.com/openspecs/windows_protocols/ms-mde2),
 * [MS-XCEP] §3.1.4.1, [MS-WSTEP] §3.1.4.2, and Microsoft's worked example
 * `windows/client-management/on-premise-authentication-device-enrollment.md`.
 */

/** SOAP 1.2 (all three services speak it; `Content-Type: application/soap+xml; charset=utf-8`). */
export const soapContentType = 'application/soap+xml; charset=utf-8';

export const namespaces = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://www.w3.org/2005/08/addressing',
  securityExtensions: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  securityUtility: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsTrust: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  authorization: 'http://schemas.xmlsoap.org/ws/2006/12/authorization',
  discovery: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment',
  enrollmentPolicy: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy',
  enrollment: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  diagnostics: 'http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics',
} as const;

/** `a:Action` of each request and its response. */
export const soapActions = {
  discover: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover',
  discoverResponse: 'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/DiscoverResponse',
  getPolicies: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies',
  getPoliciesResponse: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse',
  requestSecurityToken: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep',
  requestSecurityTokenResponse: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep',
} as const;

/** The three services, by the request action each one accepts. */
export type EnrollmentService = 'discovery' | 'policy' | 'enrollment';

/** The response action of each service: faults carry it too (mobile-device-enrollment.md, "Enrollment error messages"). */
export const responseActionOf: Readonly<Record<EnrollmentService, string>> = {
  discovery: soapActions.discoverResponse,
  policy: soapActions.getPoliciesResponse,
  enrollment: soapActions.requestSecurityTokenResponse,
};

export const requestActionOf: Readonly<Record<EnrollmentService, string>> = {
  discovery: soapActions.discover,
  policy: soapActions.getPolicies,
  enrollment: soapActions.requestSecurityToken,
};

export const tokenTypes = {
  /** `wst:TokenType` of the RST and RSTR: "more than an X.509 v3 certificate". */
  deviceEnrollmentToken: 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken',
  /** `ValueType` of the RSTR's `BinarySecurityToken`: the base64 WAP provisioning document. */
  provisioningDocument: 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc',
  /** `ValueType` of the RST's `BinarySecurityToken`: a DER PKCS#10 request. */
  pkcs10: 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10',
  /** `EncodingType` of both. */
  base64Binary: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary',
  /** `wsse:Password/@Type` of an OnPremise `UsernameToken`. */
  passwordText: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText',
  /** `wst:RequestType` of a first enrollment ([MS-WSTEP] §3.1.4.2.1). Renewal sends `…/Renew`. */
  issue: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
} as const;

/** The only authentication policy Envelope offers ([MS-MDE2] §3.1.4.1.3.2: `OnPremise` = WS-Security `UsernameToken`). */
export const onPremiseAuthPolicy = 'OnPremise';

/**
 * The lowest `RequestVersion` Envelope answers. Any later version is accepted: Windows 11 25H2 sends
 * 9.0, and Fleet's exact-match list (4.0–7.0) broke its enrollment with 0x80180006 (fleetdm/fleet#49329).
 */
export const minimumRequestVersion = 4;

/** The `EnrollmentVersion` Envelope answers with: the MS-MDE2 version whose messages it speaks. */
export const enrollmentVersion = '4.0';
