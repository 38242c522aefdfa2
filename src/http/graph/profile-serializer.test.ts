import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serializeProfile, serializeProfilePage } from './profile-serializer.ts';

const ios = { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', id: 'p1', displayName: 'Mail', hostName: 'mail.contoso.com', requireSsl: true };

describe('profile response serializer (discriminated on @odata.type)', () => {
  it('writes each subtype with its own closed schema, dropping what the subtype does not declare', () => {
    assert.deepEqual(JSON.parse(serializeProfile({ ...ios, smuggled: 'secret' })), ios);
  });

  it('writes a page with @odata.count and @odata.nextLink, and a $select-ed partial item', () => {
    const body = { '@odata.count': 2, value: [ios, { '@odata.type': ios['@odata.type'], id: 'p3', displayName: 'Only name' }], '@odata.nextLink': 'https://x.test/a?$skiptoken="q"' };
    assert.deepEqual(JSON.parse(serializeProfilePage(body)), body);
  });

  it('refuses a type outside the union rather than writing it unchecked', () => {
    assert.throws(() => serializeProfile({ '@odata.type': '#microsoft.graph.user', id: 'u' }), /No response schema/);
  });
});
