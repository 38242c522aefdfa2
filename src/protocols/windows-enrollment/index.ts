// The MS-MDE2 enrollment codec (discovery, MS-XCEP policy, MS-WSTEP enrollment): pure, no HTTP, no storage. See README.md.
export { readCertificateRequest, minimumRsaModulusBits, type WindowsCertificateRequest } from './certificate-request.ts';
export {
  buildDiscoverRequest,
  buildGetPoliciesRequest,
  buildRequestSecurityToken,
  createCertificateRequest,
  generateDeviceKeys,
  readProvisioningDocument,
  readSoapFault,
  type DeviceRequestHeader,
} from './device-messages.ts';
export { readDiscoverRequest, renderDiscoverResponse, type DiscoverRequest, type DiscoverResponseUrls } from './discovery.ts';
export {
  authenticationFault,
  authorizationFault,
  certificateRequestFault,
  EnrollmentFault,
  enrollmentServerFault,
  internalServiceFault,
  invalidSecurityFault,
  isEnrollmentFault,
  messageFormatFault,
  type EnrollmentFaultSubcode,
  type EnrollmentServiceErrorType,
} from './enrollment-fault.ts';
export {
  enrollmentVersion,
  minimumRequestVersion,
  namespaces,
  onPremiseAuthPolicy,
  requestActionOf,
  responseActionOf,
  soapActions,
  soapContentType,
  tokenTypes,
  type EnrollmentService,
} from './mde2-names.ts';
export { certificateRenewalSeconds, certificateValiditySeconds, cryptoProviders, renderGetPoliciesResponse, requireGetPolicies } from './policy.ts';
export {
  buildProvisioningDocument,
  certificateRenewal,
  certificateThumbprint,
  clientCertificateSearchCriteria,
  dmConnection,
  initialDigestNonce,
  windowsPollSchedule,
  type ProvisioningDocumentInput,
} from './provisioning-document.ts';
export { readRequestSecurityToken, renderRequestSecurityTokenResponse, type RequestSecurityTokenMessage, type WindowsEnrollmentType } from './request-security-token.ts';
export { maxSoapRequestBytes, parseSoapEnvelope, requireServiceRequest, type SoapEnvelope, type XmlNode, type XmlValue } from './soap-envelope.ts';
export { renderFault, renderSoapEnvelope, type SoapResponseHeader } from './soap-response.ts';
export { readUsernameToken, type UsernameToken } from './username-token.ts';
export { buildRenewalRequestSecurityToken, createRenewalPkcs7 } from './renewal-device-messages.ts';
export { isRenewalRequest, openRenewalPkcs7, readRenewalRequest, renewalNames, type RenewalRequestMessage } from './renewal-request.ts';
export { buildRenewalProvisioningDocument, type RenewalProvisioningDocumentInput } from './renewal-response.ts';
