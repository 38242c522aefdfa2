import { badRequest } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { bindKeyOf, bindValueOf } from './odata-bind.ts';
import type { ProfileDraft, ProfileLinks } from './profile.ts';
import {
  navigationProperties,
  platformFamilyOf,
  profileKindOf,
  profileTypes,
  type NavigationProperty,
  type PlatformFamily,
  type ProfileKind,
  type ProfileType,
} from './profile-types.ts';

/**
 * Checks every link of `draft` against the tenant. `linkedTypes` maps each linked id that exists in the
 * caller's tenant to its type (ids of other tenants must simply be absent). A missing id, or a target of
 * the wrong kind (identity and S/MIME links need a SCEP or PKCS profile, `rootCertificate` a trusted root)
 * or of another platform family, is a 400 naming the bind.
 */
export function checkProfileLinks(draft: ProfileDraft, linkedTypes: ReadonlyMap<string, ProfileType>): void {
  const family = platformFamilyOf(draft.odataType);
  for (const nav of navigationProperties) {
    const id = draft.links[nav];
    if (id === null) continue;
    const bind = bindKeyOf(nav);
    const target = linkedTypes.get(id);
    if (target === undefined) {
      throw badRequest(`${bind} references profile '${id}', which does not exist.`, bind);
    }
    const allowed = allowedLinkTargetTypes(nav, family);
    if (!allowed.includes(target)) {
      throw badRequest(`${bind} must reference ${allowed.join(' or ')}; profile '${id}' is a ${target}.`, bind);
    }
  }
}

/**
 * Refuses, with a 400 naming the bind, a link whose id is not a UUID: it can name no profile, and the
 * database's uuid columns would reject it. Run before loading the linked types.
 */
export function checkLinkIdsOrThrow(links: ProfileLinks): void {
  for (const nav of navigationProperties) {
    const id = links[nav];
    if (id !== null && !isUuid(id)) {
      throw badRequest(`${bindKeyOf(nav)} references '${id}', which is not a profile id (a UUID).`, bindKeyOf(nav));
    }
  }
}

/** The ids `draft` links to, for loading their types before `checkProfileLinks`. */
export function linkedIdsOf(links: ProfileLinks): string[] {
  return navigationProperties.map((nav) => links[nav]).filter((id): id is string => id !== null);
}

/**
 * The links as `<nav>@odata.bind` properties (relative `deviceConfigurations('<id>')` form), for exports
 * that must re-create a profile with its links; Graph responses never inline navigation properties.
 */
export function linkBinds(links: ProfileLinks): Record<string, string> {
  const binds: Record<string, string> = {};
  for (const nav of navigationProperties) {
    const id = links[nav];
    if (id !== null) binds[bindKeyOf(nav)] = bindValueOf(id);
  }
  return binds;
}

/** The types a link may point at: SCEP or PKCS profiles (a trusted root for `rootCertificate`) of `family`. */
export function allowedLinkTargetTypes(nav: NavigationProperty, family: PlatformFamily): ProfileType[] {
  const kinds: readonly ProfileKind[] =
    nav === 'rootCertificate' ? ['trustedRootCertificate'] : ['scepCertificate', 'pkcsCertificate'];
  return profileTypes.filter((type) => kinds.includes(profileKindOf(type)) && platformFamilyOf(type) === family);
}
