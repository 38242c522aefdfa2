import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseListQuery } from './odata-query.ts';

const options = { filterable: ['displayName', 'mail', 'id'], selectable: ['displayName'] };

describe('parseListQuery $filter', () => {
  it("splits clauses on 'and' only outside string literals, unescaping doubled quotes", () => {
    const query = parseListQuery({ $filter: "displayName eq 'Sales and Marketing' and mail eq 'o''neil and co@contoso.com' AND id eq null" }, options);
    assert.deepEqual(query.filters, [
      { field: 'displayName', value: 'Sales and Marketing' },
      { field: 'mail', value: "o'neil and co@contoso.com" },
      { field: 'id', value: null },
    ]);
  });

  it('refuses a clause that is not an eq comparison, naming $filter', () => {
    assert.throws(() => parseListQuery({ $filter: "displayName ne 'x'" }, options), (e: { target?: string }) => e.target === '$filter');
  });
});
