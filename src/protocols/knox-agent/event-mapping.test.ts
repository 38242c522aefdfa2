import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Value from 'typebox/value';
import { KnoxCommand, KnoxCommandEvent, KnoxEnrollRequest, KnoxInventory, knoxErrorCodes, type KnoxCommandType } from './agent-messages.ts';
import { knoxCommandTypeOf, knoxErrorRules, knoxEventOutcome } from './event-mapping.ts';

describe('Knox agent events → delivery results', () => {
  it('notes an account\'s applied, acknowledges its validation, and fails it with the error\'s class', () => {
    for (const type of ['installAccount', 'updateAccount', 'replaceAccount'] as const) {
      assert.deepEqual(knoxEventOutcome(type, { event: 'applied', knoxAccountId: 7 }), { kind: 'noted' });
      assert.deepEqual(knoxEventOutcome(type, { event: 'validated' }), { kind: 'acknowledged' });
      const failed = knoxEventOutcome(type, { event: 'failed', error: { code: 'authenticationFailed', message: 'HTTP 401', knoxResult: -3 } });
      assert.equal(failed.kind, 'failed');
      assert.deepEqual(failed.kind === 'failed' && failed.error, {
        errorClass: 'transient',
        code: 'authenticationFailed',
        message: 'the Exchange server refused the account\'s credentials; the user must enter the correct password on the device (Knox result -3): HTTP 401',
      });
    }
  });

  it('acknowledges a certificate on applied (no validation) and removals on removed', () => {
    assert.deepEqual(knoxEventOutcome('installCertificate', { event: 'applied' }), { kind: 'acknowledged' });
    assert.deepEqual(knoxEventOutcome('removeAccount', { event: 'removed' }), { kind: 'acknowledged' });
    assert.deepEqual(knoxEventOutcome('removeCertificate', { event: 'removed' }), { kind: 'acknowledged' });
  });

  it('refuses events that cannot answer the command', () => {
    const pairs: [KnoxCommandType, KnoxCommandEvent['event']][] = [['installAccount', 'removed'], ['removeAccount', 'applied'], ['removeAccount', 'validated'], ['installCertificate', 'removed'], ['removeCertificate', 'applied']];
    for (const [type, event] of pairs) assert.equal(knoxEventOutcome(type, { event }).kind, 'invalid', `${type} ${event}`);
  });

  it('classifies every error code; a failure without one is a transient knoxApiRefused', () => {
    assert.deepEqual(Object.keys(knoxErrorRules).sort(), [...knoxErrorCodes].sort());
    assert.equal(knoxErrorRules.knoxLicenseInactive.errorClass, 'terminal');
    assert.equal(knoxErrorRules.serverCertificateUntrusted.errorClass, 'transient');
    const bare = knoxEventOutcome('installAccount', { event: 'failed' });
    assert.ok(bare.kind === 'failed' && bare.error.errorClass === 'transient' && bare.error.code === 'knoxApiRefused');
  });

  it('maps delivery operations to command types', () => {
    assert.equal(knoxCommandTypeOf(true, 'install'), 'installAccount');
    assert.equal(knoxCommandTypeOf(true, 'update'), 'updateAccount');
    assert.equal(knoxCommandTypeOf(true, 'replace'), 'replaceAccount');
    assert.equal(knoxCommandTypeOf(true, 'remove'), 'removeAccount');
    assert.equal(knoxCommandTypeOf(false, 'install'), 'installCertificate');
    assert.equal(knoxCommandTypeOf(false, 'update'), 'installCertificate');
    assert.equal(knoxCommandTypeOf(false, 'remove'), 'removeCertificate');
  });
});

describe('Knox agent message schemas', () => {
  it('accept what docs/agent-protocol.md shows and refuse unknown properties', () => {
    assert.ok(Value.Check(KnoxEnrollRequest, { enrollmentToken: 'enr_x', device: { serialNumber: 'R58N123', model: 'SM-G991B', androidVersion: '14', knoxVersion: '3.10', fcmToken: 'fcm:abc' } }));
    assert.ok(!Value.Check(KnoxEnrollRequest, { enrollmentToken: 'enr_x', device: { serialNumber: 'R58N123', androidVersion: '14', imei: '1' } }));
    assert.ok(!Value.Check(KnoxEnrollRequest, { enrollmentToken: 'enr_x', device: { serialNumber: 'R58N\n123', androidVersion: '14' } }), 'no control characters in a serial');
    assert.ok(Value.Check(KnoxCommandEvent, { event: 'failed', knoxAccountId: 3, error: { code: 'serverCertificateUntrusted' } }));
    assert.ok(!Value.Check(KnoxCommandEvent, { event: 'failed', error: { code: 'somethingElse' } }));
    assert.ok(!Value.Check(KnoxCommandEvent, { event: 'validated', password: 'x' }));
    assert.ok(Value.Check(KnoxInventory, { accounts: [{ emailAddress: 'a@b.c', serverAddress: 'mail.b.c', accountKey: null }], certificateAliases: [] }));
    assert.ok(!Value.Check(KnoxInventory, { accounts: [] }), 'certificateAliases is required');
  });

  it('a command cannot carry a password: the account object is closed', () => {
    const account = {
      displayName: 'Mail', emailAddress: 'a@b.c', easUser: 'a@b.c', easDomain: '', serverAddress: 'mail.b.c', useSSL: true, useTLS: false,
      acceptAllCertificates: false, protocolVersion: '14.1', syncContacts: 1, syncCalendar: 1,
    };
    const command = {
      commandId: '0b6c0b52-0d3c-4c57-9d0e-3f1f1c0f2a11', type: 'installAccount', profileId: '1b6c0b52-0d3c-4c57-9d0e-3f1f1c0f2a11', profileVersion: 1,
      exchangeAccount: { schema: 'envelope.knox.exchangeAccount/1', accountKey: 'k', account, dataSyncs: { calendar: true, contacts: true, tasks: false, notes: false }, smime: null },
    };
    assert.ok(Value.Check(KnoxCommand, command));
    assert.ok(!Value.Check(KnoxCommand, { ...command, exchangeAccount: { ...command.exchangeAccount, account: { ...account, serverPassword: 'secret' } } }));
  });
});
