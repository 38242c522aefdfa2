import type { Profile } from './profile.ts';
import { odataTypeOf } from './profile-types.ts';

/**
 * The Graph representation of a stored profile, as GET/POST/PATCH return it: `@odata.type`, the base
 * `deviceConfiguration` properties in Graph's order, then every setting. Navigation properties (certificate
 * links) are never inlined, as in Graph; `linkBinds` renders them when an export needs them.
 */
export function profileToGraph(p: Profile): Record<string, unknown> {
  return {
    '@odata.type': odataTypeOf(p.odataType),
    id: p.id,
    lastModifiedDateTime: p.lastModifiedDateTime,
    roleScopeTagIds: [...p.roleScopeTagIds],
    supportsScopeTags: true,
    createdDateTime: p.createdDateTime,
    description: p.description,
    displayName: p.displayName,
    version: p.version,
    ...(p.odataType === 'windowsPhoneEASEmailProfileConfiguration' ? { applyOnlyToWindowsPhone81: false } : {}),
    // The settings object is the one the store parsed for this read; nothing mutates it, so no copy.
    ...p.settings,
  };
}
