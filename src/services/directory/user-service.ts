import { notFound } from '../../domain/errors.ts';
import { isUuid } from '../../domain/ids.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { UserFields, UserMatch, UserRecord, UserStore } from '../../store/postgres/user-store.ts';

export type NewUser = Partial<UserFields> & Pick<UserFields, 'displayName' | 'userPrincipalName'>;

/**
 * Directory users: create, read, update (merge), delete with referential checks. Every write path
 * (Graph, SCIM, the CLI import) goes through here; an update of a user's attributes marks their
 * devices stale in the same statement (a trigger, decision 0011), so the profiles that use them are
 * re-rendered and re-delivered at the next check-in.
 */
export class UserService {
  readonly #users: UserStore;
  readonly #newId: () => string;

  constructor(users: UserStore, newId: () => string) {
    this.#users = users;
    this.#newId = newId;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<UserRecord>> {
    return this.#users.list(tenantId, query);
  }

  /** SCIM listing: exact matches on one attribute, offset-paged, with the total. */
  findPage(tenantId: string, match: UserMatch | null, offset: number, count: number): Promise<{ total: number; items: UserRecord[] }> {
    return this.#users.findPage(tenantId, match, offset, count);
  }

  async getOrThrow(tenantId: string, id: string): Promise<UserRecord> {
    const user = isUuid(id) ? await this.#users.get(tenantId, id) : null;
    if (!user) throw notFound('User', id);
    return user;
  }

  /** Graph's `/users/{id | userPrincipalName}`: a UUID is an id, anything else a UPN (case-insensitive). */
  async getByKeyOrThrow(tenantId: string, key: string): Promise<UserRecord> {
    const user = isUuid(key) ? await this.#users.get(tenantId, key) : await this.#users.findByUserPrincipalName(tenantId, key);
    if (!user) throw notFound('User', key);
    return user;
  }

  create(tenantId: string, fields: NewUser): Promise<UserRecord> {
    return this.#users.insert(tenantId, this.#newId(), {
      displayName: fields.displayName,
      userPrincipalName: fields.userPrincipalName,
      mail: fields.mail ?? null,
      onPremisesSamAccountName: fields.onPremisesSamAccountName ?? null,
      onPremisesDomainName: fields.onPremisesDomainName ?? null,
      onPremisesNetBiosName: fields.onPremisesNetBiosName ?? null,
      accountEnabled: fields.accountEnabled ?? true,
      externalId: fields.externalId ?? null,
      givenName: fields.givenName ?? null,
      surname: fields.surname ?? null,
      mailNickname: fields.mailNickname ?? null,
      scimAttributes: fields.scimAttributes ?? {},
    });
  }

  /**
   * Graph PATCH of the user with id or UPN `key`: properties present in `changes` replace the stored
   * ones; `null` clears optional ones.
   */
  async update(tenantId: string, key: string, changes: Partial<UserFields>): Promise<UserRecord> {
    const current = await this.getByKeyOrThrow(tenantId, key);
    const { id, createdDateTime: _created, ...fields } = current;
    const updated = await this.#users.update(tenantId, id, { ...fields, ...definedOnly(changes) });
    if (!updated) throw notFound('User', key);
    return updated;
  }

  /** SCIM PUT: every writable field replaced (absent optional ones become null). */
  async replace(tenantId: string, id: string, fields: UserFields): Promise<UserRecord> {
    const updated = isUuid(id) ? await this.#users.update(tenantId, id, fields) : null;
    if (!updated) throw notFound('User', id);
    return updated;
  }

  /** Deletes the user with id or UPN `key` (409 while they are a device's primary user). */
  async delete(tenantId: string, key: string): Promise<void> {
    const id = isUuid(key) ? key : (await this.getByKeyOrThrow(tenantId, key)).id;
    if (!(await this.#users.delete(tenantId, id))) throw notFound('User', key);
  }
}

/** `changes` without the keys whose value is `undefined` (absent), so they do not overwrite stored values. */
function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;
}
