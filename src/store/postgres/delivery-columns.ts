import type { OverviewBucket, OverviewCounter } from '../../domain/delivery/index.ts';

/**
 * Column names of the delivery counters (migration 0002), shared by the store that writes them and
 * the one that reads them.
 */

/** Overview counter (Graph name) → `delivery_overview` column. */
export const counterColumns: Readonly<Record<OverviewCounter, string>> = {
  pendingCount: 'pending_count',
  notApplicableCount: 'not_applicable_count',
  notApplicablePlatformCount: 'not_applicable_platform_count',
  successCount: 'success_count',
  errorCount: 'error_count',
  failedCount: 'failed_count',
  conflictCount: 'conflict_count',
};

/** User tally bucket → `delivery_user_tally` column. */
export const bucketColumns: Readonly<Record<OverviewBucket, string>> = {
  pending: 'pending',
  notApplicable: 'not_applicable',
  notApplicablePlatform: 'not_applicable_platform',
  success: 'success',
  error: 'error',
  failed: 'failed',
  conflict: 'conflict',
};
