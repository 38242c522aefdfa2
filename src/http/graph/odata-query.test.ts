import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSkipToken, parseListQuery } from './odata-query.ts';

const options = {
  filterable: ['displayName', 'mail', 'id', 'version', '@odata.type'],
  selectable: ['displayName'],
  sortable: ['createdDateTime', 'displayName'],
  searchable: ['displayName', 'mail'],
  expandable: ['assignments'],
};
const eventual = { consistencylevel: 'eventual' };
const p = (name: string, value: unknown) => ({ op: 'eq', property: name, value });

describe('parseListQuery $filter (on @odata/parser)', () => {
  const cases: [string, unknown][] = [
    ["displayName eq 'Sales'", p('displayName', 'Sales')],
    ["displayName eq 'O''Neil and co'", p('displayName', "O'Neil and co")],
    ['mail eq null', p('mail', null)],
    ["mail ne 'a@b.c'", { op: 'ne', property: 'mail', value: 'a@b.c' }],
    ['mail ne null', { op: 'ne', property: 'mail', value: null }],
    ['version eq 3', p('version', 3)],
    ['id eq 6c2f4c8e-1111-2222-3333-444455556666', p('id', '6c2f4c8e-1111-2222-3333-444455556666')],
    ["displayName eq '; DROP TABLE users; --'", p('displayName', '; DROP TABLE users; --')],
    ["displayName eq 'a' and mail eq 'b'", { op: 'and', left: p('displayName', 'a'), right: p('mail', 'b') }],
    ["displayName eq 'a' or (mail eq 'b')", { op: 'or', left: p('displayName', 'a'), right: p('mail', 'b') }],
    ["not (displayName eq 'a')", { op: 'not', operand: p('displayName', 'a') }],
    ["displayName in ('a', 'b''c')", { op: 'or', left: p('displayName', 'a'), right: p('displayName', "b'c") }],
    ["displayName eq 'x in (y)'", p('displayName', 'x in (y)')],
    ["displayName eq '100% & 50%25'", p('displayName', '100% & 50%25')],
    ["startswith(displayName,'Ann')", { op: 'startswith', property: 'displayName', value: 'Ann' }],
    ["isof('microsoft.graph.iosEasEmailProfileConfiguration')", { op: 'isof', type: 'iosEasEmailProfileConfiguration' }],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${text}`, () => {
      assert.deepEqual(parseListQuery({ $filter: text }, options).filter, expected);
    });
  }

  const refused: [string, RegExp][] = [
    ["displayName lt 'x'", /'lt' is not supported/],
    ["contains(displayName,'x')", /function 'contains' is not supported/],
    ["endswith(displayName,'x')", /function 'endswith'/],
    ["password eq 'x'", /'password' cannot be used here/],
    ["displayName eq 'x' or", /not a valid OData expression/],
    ["displayName eq 'x'; DROP TABLE users", /not a valid OData expression/],
    ["displayName eq mail", /'mail' is not a literal value/],
    ['displayName', /is not a condition/],
    ['displayName in ()', /needs one or more values/],
    ["manager/displayName eq 'x'", /is not supported; name a property/],
    ["startswith(displayName, mail)", /'mail' is not a literal value/],
  ];
  for (const [text, message] of refused) {
    it(`refuses ${text} with a 400 naming $filter`, () => {
      assert.throws(() => parseListQuery({ $filter: text }, options), (e: { status?: number; target?: string; message: string }) => {
        assert.equal(e.status, 400);
        assert.equal(e.target, '$filter');
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('refuses isof() on a collection that is not polymorphic', () => {
    assert.throws(() => parseListQuery({ $filter: "isof('microsoft.graph.user')" }, { filterable: ['displayName'], selectable: [] }), /isof\(\) is not supported/);
  });
});

describe('parseListQuery $orderby, $count, $search, $expand, $skiptoken', () => {
  it('reads one sortable property, ascending or descending', () => {
    assert.deepEqual(parseListQuery({ $orderby: 'displayName desc' }, options).orderBy, { property: 'displayName', descending: true });
    assert.deepEqual(parseListQuery({ $orderby: 'createdDateTime' }, options).orderBy, { property: 'createdDateTime', descending: false });
  });

  it('refuses an unsortable property, two properties, or $orderby where nothing is sortable', () => {
    assert.throws(() => parseListQuery({ $orderby: 'mail' }, options), /'mail' cannot be used here; sortable: createdDateTime, displayName/);
    assert.throws(() => parseListQuery({ $orderby: 'displayName,createdDateTime' }, options), /sort by one property/);
    assert.throws(() => parseListQuery({ $orderby: 'displayName' }, { filterable: [], selectable: [] }), (e: { target?: string }) => e.target === '$orderby');
  });

  it('reads $count=true and refuses other values', () => {
    assert.equal(parseListQuery({ $count: 'true' }, options).count, true);
    assert.equal(parseListQuery({}, options).count, false);
    assert.throws(() => parseListQuery({ $count: 'yes' }, options), (e: { target?: string }) => e.target === '$count');
  });

  it('reads Graph $search phrases with ConsistencyLevel: eventual, and refuses them without it', () => {
    assert.deepEqual(parseListQuery({ $search: '"displayName:ann"' }, options, eventual).search, { op: 'phrase', property: 'displayName', value: 'ann' });
    assert.deepEqual(parseListQuery({ $search: '"displayName:ann" OR "mail:ann"' }, options, eventual).search, {
      op: 'or',
      left: { op: 'phrase', property: 'displayName', value: 'ann' },
      right: { op: 'phrase', property: 'mail', value: 'ann' },
    });
    assert.throws(() => parseListQuery({ $search: '"displayName:ann"' }, options), (e: { target?: string }) => e.target === 'ConsistencyLevel');
    assert.throws(() => parseListQuery({ $search: '"id:ann"' }, options, eventual), /'id' cannot be searched/);
    assert.throws(() => parseListQuery({ $search: '"ann"' }, options, eventual), /use "property:words"/);
  });

  it('reads $expand of an expandable property and refuses others', () => {
    assert.deepEqual(parseListQuery({ $expand: 'assignments' }, options).expand, ['assignments']);
    assert.throws(() => parseListQuery({ $expand: 'members' }, options), /'members' cannot be expanded/);
  });

  it('takes back only a $skiptoken made for the same order', () => {
    const token = encodeSkipToken({ key: 'Ann', id: '6c2f4c8e-1111-2222-3333-444455556666' }, { property: 'displayName', descending: false });
    assert.deepEqual(parseListQuery({ $orderby: 'displayName', $skiptoken: token }, options).after, { key: 'Ann', id: '6c2f4c8e-1111-2222-3333-444455556666' });
    assert.throws(() => parseListQuery({ $orderby: 'displayName desc', $skiptoken: token }, options), (e: { target?: string }) => e.target === '$skiptoken');
    assert.throws(() => parseListQuery({ $skiptoken: token }, options), (e: { target?: string }) => e.target === '$skiptoken');
  });

  it('refuses an unknown option, naming it', () => {
    assert.throws(() => parseListQuery({ $apply: 'x' }, options), (e: { target?: string }) => e.target === '$apply');
  });
});
