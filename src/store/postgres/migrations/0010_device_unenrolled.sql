-- A device that left management (Apple CheckOut, Windows Alert 1226) has every ledger row marked
-- removed with the reason code deviceUnenrolled (DeliveryService.deviceUnenrolled).
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_reason_code_check;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_reason_code_check CHECK (reason_code IN ('platformMismatch',
  'osVersionTooOld', 'noPrimaryUser', 'userAttributeMissing', 'accountConflict', 'certificateNotAssigned',
  'certificateNotDeliverable', 'waitingForCertificate', 'newAssignment', 'profileUpdated', 'userValuesChanged',
  'certificateUpdated', 'primaryUserChanged', 'accountMustBeRecreated', 'awaitingAcknowledgement', 'retrying',
  'adminResend', 'upToDate', 'notAssigned', 'onlyEmailProfile', 'certificateInUse', 'installed', 'verified', 'removed',
  'deviceUnenrolled', 'deliveryFailed', 'duplicateAccount'));
