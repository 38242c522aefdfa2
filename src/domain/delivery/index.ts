/**
 * Platform-independent delivery rules (issue 7): per device, the desired set against the ledger
 * gives ordered operations with reasons; device results move the ledger; ledger rows give Graph
 * statuses and overview count deltas. Pure: no I/O, the clock is a parameter. See README.md.
 */
export { computeDesiredSet, compareDeliveryOrder, type AssignedProfile, type DeliveryDevice, type DesiredEntry, type DesiredOutcome } from './desired-set.ts';
export { deviceTargetingIndex, type DeviceTargeting } from './device-targeting.ts';
export { certificateDependenciesOf, type CertificateDependency, type DependencyRole } from './certificate-dependencies.ts';
export { compareOsVersions, inapplicabilityOf, minimumOsVersions, targetPlatformOf, type Inapplicability } from './platform-applicability.ts';
export { certificatesTravelInsideProfile, conflictKeyOf, hasEnvelopeAccountId, promptKeyOf, recreateKeyOf, replacesOnUserChange } from './account-change-rules.ts';
export { deliveryReasonCodes, type DeliveryReasonCode } from './delivery-reason.ts';
export {
  isInFlight,
  ledgerStates,
  type DeliveredSnapshot,
  type DeliveryError,
  type DeliveryErrorClass,
  type DeliveryOperationKind,
  type LedgerRow,
  type LedgerState,
  type UserPrompt,
} from './ledger-row.ts';
export { planDeviceDelivery, type DeliveryPlan, type PlanContext, type PlanDecision, type PlannedOperation } from './plan-device-delivery.ts';
export { accountIdFor, deliveryCommandId, type CommandIdInput } from './command-id.ts';
export { defaultRetryPolicy, nextAttemptAt, type RetryPolicy } from './retry-policy.ts';
export { recordDeviceResult, unenrolledRow, type DeviceResult } from './record-device-result.ts';
export { complianceStatusOf, complianceStatuses, deliveryStatusOf, isStuck, type ComplianceStatus, type DeliveryStatus, type StatusRow } from './delivery-status.ts';
export {
  overviewBucketOf,
  overviewBuckets,
  overviewCounters,
  statusCountDeltas,
  userBucketOf,
  type CountDeltas,
  type CountedStatus,
  type OverviewBucket,
  type OverviewCounter,
  type OverviewCounts,
  type UserDeviceTally,
} from './status-count-deltas.ts';
