import { badRequest } from '../errors.ts';
import type { NavigationProperty } from './profile-types.ts';

/**
 * `<nav>@odata.bind` values name another profile of the same collection. Accepted forms, any host, any
 * API version segment:
 *   https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('<id>')
 *   /graph/beta/deviceManagement/deviceConfigurations/<id>
 *   deviceConfigurations('<id>')   deviceConfigurations/<id>
 * `null` unlinks. Anything else, or a link into another collection, is a 400 naming the bind.
 */

const bindPattern =
  /^(?:https?:\/\/[^/?#\s]+)?\/?(?:[A-Za-z0-9.$_-]+\/)*deviceConfigurations(?:\('([^'/\s]+)'\)|\/([^'/()?#\s]+))$/;
const idPattern = /^[A-Za-z0-9._~-]{1,128}$/;

export function bindKeyOf(nav: NavigationProperty): string {
  return `${nav}@odata.bind`;
}

/** The linked profile id, or null for an explicit `null`; throws badRequest naming the bind otherwise. */
export function parseBindOrThrow(nav: NavigationProperty, value: unknown): string | null {
  const key = bindKeyOf(nav);
  if (value === null) return null;
  if (typeof value !== 'string') {
    throw badRequest(
      `${key} must be a string such as "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('<id>')", or null to unlink.`,
      key,
    );
  }
  const match = bindPattern.exec(value.trim());
  const id = match?.[1] ?? match?.[2];
  if (id === undefined || !idPattern.test(id)) {
    throw badRequest(
      `${key} must reference a profile of deviceManagement/deviceConfigurations, e.g. "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('<id>')" or "deviceConfigurations/<id>"; got "${value}".`,
      key,
    );
  }
  return id;
}

/** The relative bind Envelope itself writes for a link, e.g. when exporting a profile with its links. */
export function bindValueOf(id: string): string {
  return `deviceConfigurations('${id}')`;
}
