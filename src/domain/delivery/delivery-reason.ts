/**
 * Why a profile is where it is on a device, or why an operation is planned: a stable code for
 * filtering, alerts and the API, next to a human message. Grouped by who produces them.
 */
export const deliveryReasonCodes = [
  // desired set: the profile cannot be delivered as it stands
  'platformMismatch',
  'osVersionTooOld',
  'noPrimaryUser',
  'userAttributeMissing',
  'accountConflict',
  'certificateNotAssigned',
  'certificateNotDeliverable',
  // plan: why an operation, or none
  'waitingForCertificate',
  'newAssignment',
  'profileUpdated',
  'userValuesChanged',
  'certificateUpdated',
  'primaryUserChanged',
  'accountMustBeRecreated',
  'awaitingAcknowledgement',
  'retrying',
  'adminResend',
  'upToDate',
  'notAssigned',
  'onlyEmailProfile',
  'certificateInUse',
  // device results
  'installed',
  'verified',
  'removed',
  'deviceUnenrolled',
  'deliveryFailed',
  'duplicateAccount',
] as const;

export type DeliveryReasonCode = (typeof deliveryReasonCodes)[number];
