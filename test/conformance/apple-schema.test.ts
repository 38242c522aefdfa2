import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadApplePayloadSchemas, validateApplePayload, validateAppleProfile, type SchemaViolation } from './apple-schema.ts';

const schemas = loadApplePayloadSchemas();
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const eas = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  PayloadType: 'com.apple.eas.account',
  PayloadVersion: 1,
  PayloadIdentifier: 'com.example.eas',
  PayloadUUID: uuid(1),
  Host: 'mail.example.com',
  SSL: true,
  ...extra,
});
const scep = (content: Record<string, unknown>): Record<string, unknown> => ({
  PayloadType: 'com.apple.security.scep',
  PayloadVersion: 1,
  PayloadIdentifier: 'com.example.scep',
  PayloadUUID: uuid(2),
  PayloadContent: { URL: 'https://scep.example.com', ...content },
});
const profile = (content: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  PayloadType: 'Configuration',
  PayloadVersion: 1,
  PayloadIdentifier: 'com.example.profile',
  PayloadUUID: uuid(3),
  PayloadContent: content,
  ...extra,
});

const rules = (violations: SchemaViolation[]): string[] => violations.map((v) => `${v.rule} ${v.path}`).sort();

describe('Apple schema validator', () => {
  it('loads the payload descriptions from Apple YAML, not from a hand-made list', () => {
    for (const type of ['TopLevel', 'CommonPayloadKeys', 'com.apple.eas.account', 'com.apple.security.pkcs12', 'com.apple.security.scep', 'com.apple.security.root', 'com.apple.security.pkcs1', 'com.apple.security.pem']) {
      assert.ok(schemas.has(type), type);
    }
    const days = schemas.get('com.apple.eas.account')?.payloadkeys.find((k) => k.key === 'MailNumberOfPastDaysToSync');
    assert.deepEqual(days?.rangelist, [0, 1, 3, 7, 14, 31]);
  });

  it('accepts a well-formed profile', () => {
    const pkcs12 = { PayloadType: 'com.apple.security.pkcs12', PayloadVersion: 1, PayloadIdentifier: 'com.example.p12', PayloadUUID: uuid(4), PayloadContent: new Uint8Array([1]), Password: 'x' };
    assert.deepEqual(validateAppleProfile(schemas, profile([pkcs12, scep({ Subject: [[['CN', 'a']]], Keysize: 2048 }), eas({ PayloadCertificateUUID: uuid(4) })])), []);
  });

  it('reports unknown keys, wrong types, values outside rangelist and format, all at once with paths', () => {
    const violations = validateApplePayload(schemas, eas({ Foo: 1, SSL: 'yes', MailNumberOfPastDaysToSync: 5, PayloadCertificateUUID: 'not-a-uuid', EnableMail: 1 }));
    assert.deepEqual(rules(violations), ['format PayloadCertificateUUID', 'rangelist MailNumberOfPastDaysToSync', 'type EnableMail', 'type SSL', 'unknown-key Foo']);
  });

  it('reports missing required common keys', () => {
    const { PayloadUUID: _uuid, PayloadVersion: _version, ...payload } = eas();
    assert.deepEqual(rules(validateApplePayload(schemas, payload)), ['required PayloadUUID', 'required PayloadVersion']);
  });

  it('tells integers from reals and data from strings', () => {
    assert.deepEqual(rules(validateApplePayload(schemas, scep({ Keysize: 2048.5 }))), ['type PayloadContent.Keysize']);
    const p12 = { PayloadType: 'com.apple.security.pkcs12', PayloadVersion: 1, PayloadIdentifier: 'p', PayloadUUID: uuid(5), PayloadContent: 'MIIK' };
    assert.deepEqual(rules(validateApplePayload(schemas, p12)), ['type PayloadContent']);
  });

  it('validates nested SCEP subkeys: required URL, rangelist, pair repetition, closed SubjectAltName', () => {
    const payload = scep({ URL: undefined, Keysize: 512, Subject: [[['CN']], [['O', 'Org', 'extra']], 'CN=x'], SubjectAltName: { otherName: 'x', dNSName: 7 } });
    delete (payload.PayloadContent as Record<string, unknown>).URL;
    assert.deepEqual(rules(validateApplePayload(schemas, payload)), [
      'rangelist PayloadContent.Keysize',
      'repetition PayloadContent.Subject[0][0]',
      'repetition PayloadContent.Subject[1][0]',
      'required PayloadContent.URL',
      'type PayloadContent.SubjectAltName.dNSName',
      'type PayloadContent.Subject[2]',
      'unknown-key PayloadContent.SubjectAltName.otherName',
    ]);
  });

  it('validates the envelope against TopLevel and every inner payload against its own type', () => {
    const violations = validateAppleProfile(schemas, profile([eas({ SSL: 'no' }), { PayloadType: 'com.example.unknown' }], { PayloadType: 'Profile', PayloadVersion: 2, Extra: true }));
    assert.deepEqual(rules(violations), [
      'rangelist PayloadType',
      'rangelist PayloadVersion',
      'type PayloadContent[0].SSL',
      'unknown-key Extra',
      'unknown-payload-type PayloadContent[1]',
    ]);
  });

  it('rejects keys not available on the target OS and deprecated keys unless allowed', () => {
    const p12 = { PayloadType: 'com.apple.security.pkcs12', PayloadVersion: 1, PayloadIdentifier: 'p', PayloadUUID: uuid(6), PayloadContent: new Uint8Array([1]), AllowAllAppsAccess: true };
    assert.deepEqual(rules(validateApplePayload(schemas, p12)), ['unsupported-os AllowAllAppsAccess']);
    assert.deepEqual(validateApplePayload(schemas, p12, { os: 'macOS' }), []);
    assert.deepEqual(rules(validateApplePayload(schemas, eas({ SMIMEEnabled: true }))), ['deprecated SMIMEEnabled']);
    assert.deepEqual(validateApplePayload(schemas, eas({ SMIMEEnabled: true }), { allowDeprecated: true }), []);
    assert.deepEqual(rules(validateApplePayload(schemas, eas(), { os: 'macOS' })), ['unsupported-os (root)']);
  });

  it('rejects a payload that is not a dictionary', () => {
    assert.deepEqual(rules(validateAppleProfile(schemas, [])), ['type (root)']);
    assert.deepEqual(rules(validateAppleProfile(schemas, profile(['x']))), ['type PayloadContent[0]', 'unknown-payload-type PayloadContent[0]']);
  });
});
