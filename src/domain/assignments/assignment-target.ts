/**
 * Who a profile is assigned to, in Graph's terms: the `deviceAndAppManagementAssignmentTarget`
 * subtypes Envelope supports, named by their Graph type name without the `#microsoft.graph.` prefix.
 * https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-deviceconfigurationassignment
 *
 * Include and exclusion groups may hold users, devices or both; each member counts for its own kind
 * (see resolve-targets.ts). `allLicensedUsersAssignmentTarget` means every directory user (Envelope
 * has no licences); `allDevicesAssignmentTarget` every managed device.
 */
export type AssignmentTarget =
  | { type: 'groupAssignmentTarget'; groupId: string }
  | { type: 'exclusionGroupAssignmentTarget'; groupId: string }
  | { type: 'allLicensedUsersAssignmentTarget' }
  | { type: 'allDevicesAssignmentTarget' };

export type AssignmentTargetType = AssignmentTarget['type'];

/**
 * Graph `deviceConfigAssignmentIntent`: `apply` puts the profile on the targeted devices; `remove`
 * asks that it be removed from devices that have it, and therefore puts no one in scope.
 */
export type AssignmentIntent = 'apply' | 'remove';

/** One validated entry of an `assign` body; ids are derived, never taken from the client. */
export interface Assignment {
  target: AssignmentTarget;
  intent: AssignmentIntent;
}

export const graphNamespace = '#microsoft.graph.';

/**
 * Intune's well-known virtual group ids: Graph reports assignments to all users and all devices as
 * `{profileId}_{virtualGroupId}` (confirmed against microsoft/Microsoft365DSC, which maps these ids
 * back to AllUsers/AllDevices, and against recorded Graph responses for `allDevicesAssignmentTarget`).
 */
export const allLicensedUsersVirtualGroupId = 'acacacac-9df4-4c7d-9d50-4ef0226f57a9';
export const allDevicesVirtualGroupId = 'adadadad-808e-44e2-905a-0b7873a8a531';

/** The group id an assignment of `target` is keyed by: the real group, or the virtual one for "all …". */
export function targetGroupId(target: AssignmentTarget): string {
  switch (target.type) {
    case 'groupAssignmentTarget':
    case 'exclusionGroupAssignmentTarget':
      return target.groupId;
    case 'allLicensedUsersAssignmentTarget':
      return allLicensedUsersVirtualGroupId;
    case 'allDevicesAssignmentTarget':
      return allDevicesVirtualGroupId;
  }
}

/**
 * Intune's assignment id convention, `{profileId}_{groupId}`; unique per profile because a valid
 * assign body names each group (virtual ones included) at most once.
 */
export function assignmentId(profileId: string, target: AssignmentTarget): string {
  return `${profileId}_${targetGroupId(target)}`;
}
