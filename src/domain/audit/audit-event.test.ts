import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { activityResultOf, describeAuditRoute, maxAuditValueLength, modifiedPropertiesOf, resourceDisplayNameOf } from './audit-event.ts';
import { isSecretPropertyName, redact, redactedValue, secretPropertiesOfSchema, truncatedValue } from './redact.ts';

describe('describeAuditRoute', () => {
  it('names the resource, operation and activity type from the route pattern alone', () => {
    const cases: [Parameters<typeof describeAuditRoute>, Partial<ReturnType<typeof describeAuditRoute>>][] = [
      [['POST', '/graph/beta/users', ['directory']], { resourceType: 'User', activityOperationType: 'Create', activityType: 'Create User', category: 'Directory', componentName: 'Graph', route: '/graph/beta/users' }],
      [['PATCH', '/graph/beta/users/:id', ['directory']], { activityType: 'Patch User', route: '/graph/beta/users/{id}' }],
      [['DELETE', '/graph/beta/groups/:id/members/:memberId/$ref', ['directory']], { resourceType: 'Group', activityType: 'Delete Group members/{memberId}/$ref' }],
      [['POST', '/graph/beta/groups/:id/members/$ref', ['directory']], { activityOperationType: 'Create', activityType: 'Create Group members/$ref' }],
      [['POST', '/graph/beta/deviceManagement/deviceConfigurations/:id/assign', ['assignments']], { activityOperationType: 'Action', activityType: 'assign DeviceConfiguration', category: 'DeviceConfiguration' }],
      [['PUT', '/graph/beta/envelope/windowsPushSettings', ['enrollment']], { resourceType: 'WindowsPushSettings', activityType: 'Put WindowsPushSettings', category: 'Enrollment' }],
      [['POST', '/graph/beta/envelope/enrollmentTokens', ['enrollment']], { resourceType: 'EnrollmentToken', activityType: 'Create EnrollmentToken' }],
      [['POST', '/scim/v2/Users', ['scim']], { componentName: 'SCIM', resourceType: 'User', activityType: 'Create User', category: 'Directory' }],
      [['PATCH', '/scim/v2/Groups/:id', []], { componentName: 'SCIM', activityType: 'Patch Group', category: 'Other' }],
      [['POST', '/graph/beta/deviceManagement/deviceConfigurations/:id/dryRun', ['knox']], { activityType: 'dryRun DeviceConfiguration', category: 'Knox' }],
      [['PUT', '/graph/v1.0/deviceManagement/androidPolicies', ['android']], { resourceType: 'AndroidPolicies', activityType: 'Put AndroidPolicies' }],
    ];
    for (const [args, expected] of cases) {
      const described = describeAuditRoute(...args);
      for (const [key, value] of Object.entries(expected)) assert.equal(described[key as keyof typeof described], value, `${args[0]} ${args[1]} ${key}`);
    }
  });

  it('maps HTTP statuses to Success, ClientError and Failure', () => {
    assert.deepEqual([200, 201, 204, 400, 403, 404, 409, 500, 503].map(activityResultOf),
      ['Success', 'Success', 'Success', 'ClientError', 'ClientError', 'ClientError', 'ClientError', 'Failure', 'Failure']);
  });
});

describe('redact', () => {
  it('hides secrets by name at any depth, and secret-looking values wherever they are', () => {
    const apiToken = `env_${'A'.repeat(43)}`;
    const out = redact({
      displayName: 'Ann',
      token: apiToken,
      tokenId: '6b0d7c7e-0000-4000-8000-000000000001',
      passwordProfile: { password: 'P@ssw0rd!', forceChangePasswordNextSignIn: true },
      nested: [{ clientSecret: 's3cr3t', privateKey: 'k', pfx: 'MIIx', pkcs12Password: 'x', apiKey: 'a', credential: 'c', accessToken: 'a' }],
      note: `see ${apiToken}`,
      pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      enrollmentUrl: 'https://e.test/mdm/apple/enroll?token=enr_abcdefghijklmnopqrstuvwxyz012345',
      keySize: 2048,
      authenticationMethod: 'usernameAndPassword',
    });
    assert.deepEqual(out, {
      displayName: 'Ann',
      token: redactedValue,
      tokenId: '6b0d7c7e-0000-4000-8000-000000000001',
      passwordProfile: redactedValue,
      nested: [{ clientSecret: redactedValue, privateKey: redactedValue, pfx: redactedValue, pkcs12Password: redactedValue, apiKey: redactedValue, credential: redactedValue, accessToken: redactedValue }],
      note: redactedValue,
      pem: redactedValue,
      enrollmentUrl: redactedValue,
      keySize: 2048,
      authenticationMethod: 'usernameAndPassword',
    });
    for (const name of ['password', 'Password', 'private_key', 'sharedKey', 'scimToken', 'key']) assert.ok(isSecretPropertyName(name), name);
    for (const name of ['tokenId', 'keySize', 'keyUsage', 'displayName', 'certificate', 'hostName']) assert.ok(!isSecretPropertyName(name), name);
  });

  it('hides the value of SCIM and JSON Patch operations on a secret path', () => {
    const body = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'password', value: 'P@ss1' },
        { op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:password', value: 'P@ss2' },
        { op: 'replace', path: '/clientSecret', value: 'P@ss3' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'ann@contoso.com' },
        { op: 'replace', value: { displayName: 'Ann', password: 'P@ss4' } },
      ],
    };
    const text = JSON.stringify(redact(body));
    for (const secret of ['P@ss1', 'P@ss2', 'P@ss3', 'P@ss4']) assert.equal(text.includes(secret), false, secret);
    assert.ok(text.includes('ann@contoso.com') && text.includes('"Ann"'));
  });

  it('hides properties a schema marks writeOnly or format password, whatever their name', () => {
    const schema = Type.Object({ a: Type.String({ writeOnly: true }), b: Type.Array(Type.Object({ c: Type.String({ format: 'password' }), d: Type.String() })) });
    const secrets = secretPropertiesOfSchema(schema);
    assert.deepEqual([...secrets].sort(), ['a', 'c']);
    assert.deepEqual(redact({ a: 'x', b: [{ c: 'y', d: 'z' }] }, secrets), { a: redactedValue, b: [{ c: redactedValue, d: 'z' }] });
  });

  it('treats __proto__ and prototype names as plain keys and cuts deep nesting', () => {
    const body = JSON.parse('{"__proto__":{"polluted":1},"toString":"x"}') as object;
    const out = redact(body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['__proto__', 'toString']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    assert.match(JSON.stringify(redact(deep)), new RegExp(truncatedValue.replace(/[[\]]/g, '\\$&')));
  });
});

describe('modifiedPropertiesOf', () => {
  it('records created properties, patched old and new values, actions as sent, and nothing for deletes', () => {
    assert.deepEqual(modifiedPropertiesOf({ operation: 'Create', succeeded: true, body: { a: 1 }, before: undefined, after: { id: 'i', a: 1, secret: 's' } }), [
      { displayName: 'id', oldValue: null, newValue: 'i' }, { displayName: 'a', oldValue: null, newValue: '1' }, { displayName: 'secret', oldValue: null, newValue: redactedValue },
    ]);
    assert.deepEqual(modifiedPropertiesOf({ operation: 'Patch', succeeded: true, body: { mail: 'b@x' }, before: { mail: 'a@x', v: 1 }, after: { mail: 'b@x', v: 2 } }), [
      { displayName: 'mail', oldValue: 'a@x', newValue: 'b@x' }, { displayName: 'v', oldValue: '1', newValue: '2' },
    ]);
    assert.deepEqual(modifiedPropertiesOf({ operation: 'Patch', succeeded: true, body: { toString: 'x' }, before: {}, after: undefined }), [
      { displayName: 'toString', oldValue: null, newValue: 'x' },
    ]);
    assert.deepEqual(modifiedPropertiesOf({ operation: 'Action', succeeded: true, body: { ids: ['a'] }, before: undefined, after: { n: 1 } }), [{ displayName: 'ids', oldValue: null, newValue: '["a"]' }]);
    assert.deepEqual(modifiedPropertiesOf({ operation: 'Create', succeeded: false, body: { password: 'p' }, before: undefined, after: undefined }), [{ displayName: 'password', oldValue: null, newValue: redactedValue }]);
    assert.deepEqual(modifiedPropertiesOf({ operation: 'Delete', succeeded: true, body: undefined, before: { displayName: 'x' }, after: undefined }), []);
    const long = modifiedPropertiesOf({ operation: 'Action', succeeded: true, body: { pem: 'x'.repeat(5000) }, before: undefined, after: undefined });
    assert.equal(long[0]!.newValue!.length, maxAuditValueLength + 1);
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    assert.equal(modifiedPropertiesOf({ operation: 'Action', succeeded: false, body: many, before: undefined, after: undefined }).length, 100);
  });

  it('names a resource by its displayName, deviceName, userPrincipalName or topic, never by a secret', () => {
    assert.equal(resourceDisplayNameOf(undefined, { deviceName: 'PC' }), 'PC');
    assert.equal(resourceDisplayNameOf({ topic: 'com.apple.mgmt.x' }), 'com.apple.mgmt.x');
    assert.equal(resourceDisplayNameOf({ displayName: `env_${'b'.repeat(43)}` }), redactedValue);
    assert.equal(resourceDisplayNameOf({ id: 'x' }, null), null);
  });
});
