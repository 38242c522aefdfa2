import { badRequest, conflict, notFound } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { DeviceRecord, DeviceStore } from '../../store/postgres/device-store.ts';
import type { GroupFields, GroupMatch, GroupRecord, GroupStore, MemberRef } from '../../store/postgres/group-store.ts';
import type { UserRecord, UserStore } from '../../store/postgres/user-store.ts';

export type NewGroup = Partial<GroupFields> & Pick<GroupFields, 'displayName'>;

function withGroupDefaults(fields: NewGroup): GroupFields {
  return {
    displayName: fields.displayName,
    description: fields.description ?? null,
    externalId: fields.externalId ?? null,
    mailNickname: fields.mailNickname ?? null,
    mailEnabled: fields.mailEnabled ?? false,
    securityEnabled: fields.securityEnabled ?? true,
    groupTypes: fields.groupTypes ?? [],
  };
}

export type GroupMember = ({ kind: 'user' } & UserRecord) | ({ kind: 'device' } & DeviceRecord);

/**
 * A directory object reference as Graph clients send it: `…/directoryObjects/{id}`, `…/users/{id}`,
 * `…/devices/{id}`, `…/deviceManagement/managedDevices/{id}` (absolute or relative), or a bare id.
 */
export function parseDirectoryObjectRef(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const match = /(?:^|\/)(?:directoryObjects|users|devices|managedDevices)(?:\/|\(')([^/'()]+)(?:'\))?\/?$/.exec(text)
    ?? /^([^/'()]+)$/.exec(text);
  const id = match?.[1];
  if (!isUuid(id)) {
    throw badRequest(`${field} must be a directory object URL such as https://graph.microsoft.com/beta/directoryObjects/{id}.`, field);
  }
  return id.toLowerCase();
}

/** Groups of users and devices; membership changes are checked against the tenant's directory. */
export class GroupService {
  readonly #groups: GroupStore;
  readonly #users: UserStore;
  readonly #devices: DeviceStore;
  readonly #newId: () => string;

  constructor(stores: { groups: GroupStore; users: UserStore; devices: DeviceStore }, newId: () => string) {
    this.#groups = stores.groups;
    this.#users = stores.users;
    this.#devices = stores.devices;
    this.#newId = newId;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<GroupRecord>> {
    return this.#groups.list(tenantId, query);
  }

  async getOrThrow(tenantId: string, id: string): Promise<GroupRecord> {
    const group = isUuid(id) ? await this.#groups.get(tenantId, id) : null;
    if (!group) throw notFound('Group', id);
    return group;
  }

  /** Creates the group, with initial members from `members@odata.bind` if given. */
  async create(tenantId: string, fields: NewGroup, memberRefs: unknown[] = []): Promise<GroupRecord> {
    const members = await this.#resolveMembers(tenantId, memberRefs, 'members@odata.bind');
    return this.#groups.insert(tenantId, this.#newId(), withGroupDefaults(fields), members);
  }

  /** Properties present in `changes` replace the stored ones; members from `memberRefs` are added. */
  async update(tenantId: string, id: string, changes: Partial<GroupFields>, memberRefs: unknown[] = []): Promise<GroupRecord> {
    const { id: _id, createdDateTime: _created, ...current } = await this.getOrThrow(tenantId, id);
    const members = await this.#resolveMembers(tenantId, memberRefs, 'members@odata.bind');
    const present = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<GroupFields>;
    const updated = await this.#groups.update(tenantId, id, { ...current, ...present }, members);
    if (!updated) throw notFound('Group', id);
    return updated;
  }

  /** SCIM listing: exact matches on one attribute, offset-paged, with the total. */
  findPage(tenantId: string, match: GroupMatch | null, offset: number, count: number): Promise<{ total: number; items: GroupRecord[] }> {
    return this.#groups.findPage(tenantId, match, offset, count);
  }

  /** The group's user members (SCIM `members`); device members stay Envelope's and are not listed. */
  async userMemberIds(tenantId: string, groupId: string): Promise<string[]> {
    await this.getOrThrow(tenantId, groupId);
    return this.#groups.userMemberIds(tenantId, groupId);
  }

  /**
   * SCIM membership changes, users only: adds `add` (ids of users of the tenant, else a 400 naming
   * `field`; already members are fine) and removes `remove` (absent ones are fine). Device members
   * are never touched.
   */
  async changeUserMembers(tenantId: string, groupId: string, change: { add: readonly string[]; remove: readonly string[] }, field: string): Promise<void> {
    await this.getOrThrow(tenantId, groupId);
    const add = [...new Set(change.add.map((id) => id.toLowerCase()))];
    if (add.length > 0) {
      const found = new Set((await this.#users.getMany(tenantId, add.filter((id) => isUuid(id)))).map((u) => u.id));
      const missing = add.find((id) => !found.has(id));
      if (missing !== undefined) throw badRequest(`${field}: no user '${missing}' exists in this tenant.`, field);
      await this.#groups.addMembers(tenantId, groupId, add.map((id) => ({ kind: 'user', id })));
    }
    await this.#groups.removeUsers(tenantId, groupId, change.remove.filter((id) => isUuid(id)).map((id) => id.toLowerCase()));
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.#groups.delete(tenantId, id))) throw notFound('Group', id);
  }

  /** `POST /groups/{id}/members/$ref`: 409 if already a member, 404 if the object is not in the tenant. */
  async addMember(tenantId: string, groupId: string, ref: unknown): Promise<void> {
    await this.getOrThrow(tenantId, groupId);
    const [member] = await this.#resolveMembers(tenantId, [ref], '@odata.id');
    const already = await this.#groups.addMembers(tenantId, groupId, [member!]);
    if (already.length > 0) throw conflict(`Object '${member!.id}' is already a member of the group.`, '@odata.id');
  }

  async removeMember(tenantId: string, groupId: string, memberId: string): Promise<void> {
    await this.getOrThrow(tenantId, groupId);
    if (!(await this.#groups.removeMember(tenantId, groupId, memberId))) throw notFound('Group member', memberId);
  }

  async listMembers(tenantId: string, groupId: string, query: ListQuery): Promise<Page<GroupMember>> {
    await this.getOrThrow(tenantId, groupId);
    const page = await this.#groups.listMembers(tenantId, groupId, query);
    const users = new Map((await this.#users.getMany(tenantId, ids(page.items, 'user'))).map((u) => [u.id, u]));
    const devices = new Map((await this.#devices.getMany(tenantId, ids(page.items, 'device'))).map((d) => [d.id, d]));
    const items: GroupMember[] = [];
    for (const ref of page.items) {
      const user = ref.kind === 'user' ? users.get(ref.id) : undefined;
      const device = ref.kind === 'device' ? devices.get(ref.id) : undefined;
      if (user) items.push({ kind: 'user', ...user });
      if (device) items.push({ kind: 'device', ...device });
    }
    return { items, next: page.next };
  }

  async #resolveMembers(tenantId: string, refs: unknown[], field: string): Promise<MemberRef[]> {
    const members: MemberRef[] = [];
    for (const [index, ref] of refs.entries()) {
      const name = refs.length > 1 || field !== '@odata.id' ? `${field}[${index}]` : field;
      const id = parseDirectoryObjectRef(ref, name);
      const member = await this.#groups.findMemberObject(tenantId, id);
      if (!member) throw badRequest(`${name}: no user or device '${id}' exists in this tenant.`, name);
      members.push(member);
    }
    return members;
  }
}

function ids(refs: MemberRef[], kind: MemberRef['kind']): string[] {
  return refs.filter((r) => r.kind === kind).map((r) => r.id);
}
