import { EnvelopeError, isEnvelopeError } from '../../domain/errors.ts';
import { returnsAttribute, type AttributeSelection } from '../../domain/scim/scim-attributes.ts';
import { scimBadRequest } from '../../domain/scim/scim-errors.ts';
import { parseScimFilter } from '../../domain/scim/scim-filter.ts';
import { groupToScim, parseMemberIds, parseScimGroup } from '../../domain/scim/scim-group.ts';
import { applyPatch, isObject, keyOf, parsePatchRequest, type PatchOperation } from '../../domain/scim/scim-patch.ts';
import { scimMaxResults, scimSchemas, userExtensionUrns } from '../../domain/scim/scim-schemas.ts';
import { parseScimUser, userToScim } from '../../domain/scim/scim-user.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';
import type { UserRecord } from '../../store/postgres/user-store.ts';
import { GroupService } from '../directory/group-service.ts';
import { UserService } from '../directory/user-service.ts';

type Resource = Record<string, unknown>;

/** List parameters as SCIM clients send them (strings from the query). */
export interface ScimListParams {
  filter?: string;
  startIndex?: string;
  count?: string;
  attributes?: string;
  excludedAttributes?: string;
}

export interface ScimListResponse {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Resource[];
}

const userFilters = { userName: 'userPrincipalName', externalId: 'externalId', displayName: 'displayName', id: 'id' } as const;
const groupFilters = { displayName: 'displayName', externalId: 'externalId', id: 'id' } as const;

/**
 * SCIM 2.0 provisioning (RFC 7643/7644) of a tenant's users and groups, as Entra ID and Okta drive
 * it. Each request runs in one transaction through the same UserService and GroupService the Graph
 * API uses, so a SCIM change marks the affected devices stale exactly as a Graph change does (their
 * profiles are re-rendered at the next check-in), and a refused request changes nothing.
 * `base` is the `…/scim/v2` URL resource locations are built from.
 */
export class ScimService {
  readonly #transact: Transactor;
  readonly #newId: () => string;

  constructor(options: { transact: Transactor; newId: () => string }) {
    this.#transact = options.transact;
    this.#newId = options.newId;
  }

  #run<T>(fn: (users: UserService, groups: GroupService) => Promise<T>): Promise<T> {
    return this.#transact((stores: Stores) => fn(new UserService(stores.users, this.#newId), new GroupService(stores, this.#newId)))
      .catch((error: unknown) => { throw toScimConflict(error); });
  }

  async listUsers(tenantId: string, params: ScimListParams, base: string): Promise<ScimListResponse> {
    const match = parseScimFilter(params.filter, userFilters);
    const { startIndex, count } = paging(params);
    const page = await this.#run((users) => users.findPage(tenantId, match, startIndex - 1, count));
    return listResponse(page.total, startIndex, page.items.map((u) => userToScim(u, `${base}/Users/${u.id}`)));
  }

  async getUser(tenantId: string, id: string, base: string): Promise<Resource> {
    const user = await this.#run((users) => users.getOrThrow(tenantId, id));
    return userToScim(user, `${base}/Users/${user.id}`);
  }

  /** POST /Users: 409 `uniqueness` when the userName is taken (Entra ID then looks the user up and matches it). */
  async createUser(tenantId: string, body: unknown, base: string): Promise<Resource> {
    const fields = parseScimUser(body);
    const user = await this.#run((users) => users.create(tenantId, fields));
    return userToScim(user, `${base}/Users/${user.id}`);
  }

  /** PUT /Users/{id}: every SCIM attribute replaced; Graph-only ones (mailNickname) are kept. */
  async replaceUser(tenantId: string, id: string, body: unknown, base: string): Promise<Resource> {
    const fields = parseScimUser(body);
    const user = await this.#run(async (users) => {
      const current = await users.getOrThrow(tenantId, id);
      return unchanged(current, fields) ? current : users.replace(tenantId, id, { ...fields, mailNickname: current.mailNickname });
    });
    return userToScim(user, `${base}/Users/${user.id}`);
  }

  /**
   * PATCH /Users/{id}: the operations are applied to the user's SCIM resource, which is then read
   * like a PUT body; nothing is written when nothing changed (Entra ID re-sends unchanged values).
   */
  async patchUser(tenantId: string, id: string, body: unknown, base: string): Promise<Resource> {
    const operations = parsePatchRequest(body);
    const user = await this.#run(async (users) => {
      const current = await users.getOrThrow(tenantId, id);
      const patched = applyPatch(userToScim(current, null), operations, userExtensionUrns);
      const fields = parseScimUser(patched);
      return unchanged(current, fields) ? current : users.replace(tenantId, id, { ...fields, mailNickname: current.mailNickname });
    });
    return userToScim(user, `${base}/Users/${user.id}`);
  }

  /** DELETE /Users/{id}: 409 while the user is the primary user of devices (see docs/scim.md). */
  async deleteUser(tenantId: string, id: string): Promise<void> {
    await this.#run(async (users) => {
      await users.getOrThrow(tenantId, id);
      await users.delete(tenantId, id);
    });
  }

  async listGroups(tenantId: string, params: ScimListParams, base: string): Promise<ScimListResponse> {
    const match = parseScimFilter(params.filter, groupFilters);
    const { startIndex, count } = paging(params);
    const withMembers = returnsAttribute(params, 'members');
    const resources = await this.#run(async (_users, groups) => {
      const page = await groups.findPage(tenantId, match, startIndex - 1, count);
      const items = [];
      for (const group of page.items) {
        const members = withMembers ? await groups.userMemberIds(tenantId, group.id) : null;
        items.push(groupToScim(group, members, `${base}/Groups/${group.id}`, (u) => `${base}/Users/${u}`));
      }
      return { total: page.total, items };
    });
    return listResponse(resources.total, startIndex, resources.items);
  }

  /** A group; its members are read only when the selection returns them. */
  async getGroup(tenantId: string, id: string, selection: AttributeSelection, base: string): Promise<Resource> {
    return this.#run(async (_users, groups) => {
      const group = await groups.getOrThrow(tenantId, id);
      const members = returnsAttribute(selection, 'members') ? await groups.userMemberIds(tenantId, id) : null;
      return groupToScim(group, members, `${base}/Groups/${id}`, (u) => `${base}/Users/${u}`);
    });
  }

  /** POST /Groups, with its first members (users of the tenant, else 400 naming the member). */
  async createGroup(tenantId: string, body: unknown, base: string): Promise<Resource> {
    const fields = parseScimGroup(body);
    const members = parseMemberIds(isObject(body) ? body[keyOf(body, 'members')] : undefined, 'members');
    return this.#run(async (_users, groups) => {
      const group = await groups.create(tenantId, fields);
      await groups.changeUserMembers(tenantId, group.id, { add: members, remove: [] }, 'members');
      return groupToScim(group, await groups.userMemberIds(tenantId, group.id), `${base}/Groups/${group.id}`, (u) => `${base}/Users/${u}`);
    });
  }

  /** PUT /Groups/{id}: name, externalId and the user members replaced (device members stay). */
  async replaceGroup(tenantId: string, id: string, body: unknown, base: string): Promise<Resource> {
    const fields = parseScimGroup(body);
    const members = parseMemberIds(isObject(body) ? body[keyOf(body, 'members')] : undefined, 'members');
    return this.#run(async (_users, groups) => {
      const current = await groups.getOrThrow(tenantId, id);
      if (current.displayName !== fields.displayName || current.externalId !== fields.externalId) await groups.update(tenantId, id, fields);
      const existing = await groups.userMemberIds(tenantId, id);
      await groups.changeUserMembers(tenantId, id, { add: members.filter((m) => !existing.includes(m)), remove: existing.filter((m) => !members.includes(m)) }, 'members');
      return groupToScim(await groups.getOrThrow(tenantId, id), await groups.userMemberIds(tenantId, id), `${base}/Groups/${id}`, (u) => `${base}/Users/${u}`);
    });
  }

  /**
   * PATCH /Groups/{id}: `members` operations (add, remove with `members[value eq "…"]` or a value
   * list, replace) change user memberships directly, without reading the whole group; the others
   * (displayName, externalId) are applied to the group's resource. Answers 204 as Entra ID expects.
   */
  async patchGroup(tenantId: string, id: string, body: unknown): Promise<void> {
    const operations = parsePatchRequest(body);
    const memberOps: PatchOperation[] = [];
    const otherOps: PatchOperation[] = [];
    for (const operation of operations) {
      if (operation.path === null && isObject(operation.value)) {
        const { [keyOf(operation.value, 'members')]: members, ...rest } = operation.value;
        if (members !== undefined) memberOps.push({ ...operation, path: 'members', value: members });
        if (Object.keys(rest).length > 0) otherOps.push({ ...operation, value: rest });
      } else if (operation.path !== null && /^members(\[|$|\.)/i.test(operation.path)) {
        memberOps.push(operation);
      } else {
        otherOps.push(operation);
      }
    }
    await this.#run(async (_users, groups) => {
      const current = await groups.getOrThrow(tenantId, id);
      if (otherOps.length > 0) {
        const patched = applyPatch(groupToScim(current, null, null, () => ''), otherOps, []);
        const fields = parseScimGroup(patched);
        if (current.displayName !== fields.displayName || current.externalId !== fields.externalId) await groups.update(tenantId, id, fields);
      }
      for (const operation of memberOps) await this.#applyMemberOperation(groups, tenantId, id, operation);
    });
  }

  async #applyMemberOperation(groups: GroupService, tenantId: string, groupId: string, operation: PatchOperation): Promise<void> {
    const field = `Operations[${operation.index}]`;
    const path = operation.path ?? 'members';
    const filtered = /^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$/i.exec(path);
    if (filtered) {
      if (operation.op !== 'remove') throw scimBadRequest('invalidPath', `${field}.path: only remove may name a member by filter.`, `${field}.path`);
      await groups.changeUserMembers(tenantId, groupId, { add: [], remove: [filtered[1]!.toLowerCase()] }, `${field}.path`);
      return;
    }
    if (!/^members$/i.test(path)) throw scimBadRequest('invalidPath', `${field}.path '${path}' is not supported; use members or members[value eq "…"].`, `${field}.path`);
    const ids = parseMemberIds(operation.value, `${field}.value`);
    if (operation.op === 'add') {
      await groups.changeUserMembers(tenantId, groupId, { add: ids, remove: [] }, `${field}.value`);
    } else if (operation.op === 'remove') {
      const remove = operation.value === undefined || operation.value === null ? await groups.userMemberIds(tenantId, groupId) : ids;
      await groups.changeUserMembers(tenantId, groupId, { add: [], remove }, `${field}.value`);
    } else {
      const existing = await groups.userMemberIds(tenantId, groupId);
      await groups.changeUserMembers(tenantId, groupId, { add: ids.filter((m) => !existing.includes(m)), remove: existing.filter((m) => !ids.includes(m)) }, `${field}.value`);
    }
  }

  /** DELETE /Groups/{id}: 409 while a profile is assigned to the group. */
  async deleteGroup(tenantId: string, id: string): Promise<void> {
    await this.#run((_users, groups) => groups.delete(tenantId, id));
  }
}

function unchanged(current: UserRecord, fields: ReturnType<typeof parseScimUser>): boolean {
  return (Object.keys(fields) as (keyof typeof fields)[]).every((k) => JSON.stringify(current[k]) === JSON.stringify(fields[k]));
}


/** `startIndex` (1-based, default 1) and `count` (default and most: 200; 0 gives the total only). */
function paging(params: ScimListParams): { startIndex: number; count: number } {
  const whole = (value: string | undefined, name: string, fallback: number): number => {
    if (value === undefined || value === '') return fallback;
    if (!/^-?\d{1,9}$/.test(value)) throw scimBadRequest('invalidValue', `${name} must be a whole number.`, name);
    return Number(value);
  };
  return {
    startIndex: Math.max(1, whole(params.startIndex, 'startIndex', 1)),
    count: Math.min(scimMaxResults, Math.max(0, whole(params.count, 'count', scimMaxResults))),
  };
}

function listResponse(total: number, startIndex: number, resources: Resource[]): ScimListResponse {
  return { schemas: [scimSchemas.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** A taken UPN or group name is SCIM's 409 `uniqueness`, naming the SCIM attribute; other conflicts stay as they are. */
function toScimConflict(error: unknown): unknown {
  if (!isEnvelopeError(error) || error.status !== 409) return error;
  if (error.target === 'userPrincipalName') return new EnvelopeError('uniqueness', 409, error.message.replace("userPrincipalName '", "userName '"), 'userName');
  if (error.target === 'displayName') return new EnvelopeError('uniqueness', 409, error.message, 'displayName');
  return error;
}

