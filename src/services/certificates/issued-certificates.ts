import type { ListQuery, Page } from '../../store/list-query.ts';
import type { IssuedCertificateRecord, IssuedIdentityStore } from '../../store/postgres/issued-identity-store.ts';

/** The certificates Envelope issued from the tenant CA (PKCS profiles), for the console's Certificates page. */
export class IssuedCertificateService {
  readonly #store: Pick<IssuedIdentityStore, 'list'>;

  constructor(store: Pick<IssuedIdentityStore, 'list'>) {
    this.#store = store;
  }

  /** A page of the tenant's issued certificates (never a private key, file or password). */
  list(tenantId: string, query: ListQuery): Promise<Page<IssuedCertificateRecord>> {
    return this.#store.list(tenantId, query);
  }
}
