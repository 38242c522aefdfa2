import { notFound } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { UserFields, UserRecord, UserStore } from '../../store/postgres/user-store.ts';

/** Directory users: create, read, update (merge), delete with referential checks. */
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

  async getOrThrow(tenantId: string, id: string): Promise<UserRecord> {
    const user = await this.#users.get(tenantId, id);
    if (!user) throw notFound('User', id);
    return user;
  }

  create(tenantId: string, fields: Partial<UserFields> & Pick<UserFields, 'displayName' | 'userPrincipalName'>): Promise<UserRecord> {
    return this.#users.insert(tenantId, this.#newId(), {
      displayName: fields.displayName,
      userPrincipalName: fields.userPrincipalName,
      mail: fields.mail ?? null,
      onPremisesSamAccountName: fields.onPremisesSamAccountName ?? null,
      onPremisesDomainName: fields.onPremisesDomainName ?? null,
      onPremisesNetBiosName: fields.onPremisesNetBiosName ?? null,
    });
  }

  /** Graph PATCH: properties present in `changes` replace the stored ones; `null` clears optional ones. */
  async update(tenantId: string, id: string, changes: Partial<UserFields>): Promise<UserRecord> {
    const current = await this.getOrThrow(tenantId, id);
    const { id: _id, createdDateTime: _created, ...fields } = current;
    const updated = await this.#users.update(tenantId, id, { ...fields, ...changes });
    if (!updated) throw notFound('User', id);
    return updated;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.#users.delete(tenantId, id))) throw notFound('User', id);
  }
}
