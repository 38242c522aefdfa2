import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountOfIdentityKey, guidanceFor, type GuidanceInput } from './portal-guidance.ts';

const iphone = (overrides: Partial<GuidanceInput>): GuidanceInput => ({
  operatingSystem: 'iOS', androidManagementMode: null, status: 'compliant', reasonCode: 'installed', endUserMessage: null, account: null, ...overrides,
});

describe('portal guidance', () => {
  it('tells an iPhone user blocked by their own account where to delete which account, then to check again', () => {
    const guidance = guidanceFor(iphone({
      status: 'conflict', reasonCode: 'duplicateAccount', endUserMessage: 'You have set up this email account yourself on this device.',
      account: { host: 'mail.contoso.com', address: 'ann@contoso.com' },
    }))!;
    assert.equal(guidance.condition, 'actionNeeded');
    assert.equal(guidance.label, 'Action needed');
    assert.equal(guidance.message, 'You have set up this email account yourself on this device.', "the server's own end-user message");
    assert.deepEqual(guidance.steps, [
      'Open Settings, then Mail, then Accounts.',
      "Tap the account 'ann@contoso.com' (server mail.contoso.com) that you added yourself and choose Delete Account.",
      'Then choose "Check again" on this page: your device checks in and Envelope sets up the company account.',
    ]);
  });

  it('says ready, being set up, or to contact IT from the server status, and leaves out what does not concern the user', () => {
    assert.equal(guidanceFor(iphone({}))!.condition, 'ready');
    assert.equal(guidanceFor(iphone({ status: 'unknown', reasonCode: 'newAssignment' }))!.condition, 'inProgress');
    const failed = guidanceFor(iphone({ status: 'error', reasonCode: 'deliveryFailed', endUserMessage: 'Company email could not be set up on this device. Contact your IT department.' }))!;
    assert.equal(failed.condition, 'contactIt');
    assert.match(failed.steps[0]!, /deliveryFailed/);
    assert.equal(guidanceFor(iphone({ status: 'compliant', endUserMessage: 'When your device asks for your email password, enter it.' }))!.condition, 'actionNeeded');
    assert.equal(guidanceFor(iphone({ status: 'notApplicable', reasonCode: 'platformMismatch' })), null);
    assert.equal(guidanceFor(iphone({ status: 'notAssigned', reasonCode: 'removed' })), null);
    assert.equal(guidanceFor(iphone({ status: 'notAssigned', reasonCode: 'onlyEmailProfile', endUserMessage: 'kept' }))!.condition, 'kept');
  });

  it('reads the account a user recognises from each platform\'s identity key', () => {
    assert.deepEqual(accountOfIdentityKey('ios|mail.contoso.com|ann@contoso.com'), { host: 'mail.contoso.com', address: 'ann@contoso.com' });
    assert.deepEqual(accountOfIdentityKey('knox|ann@contoso.com'), { host: null, address: 'ann@contoso.com' });
    assert.deepEqual(accountOfIdentityKey('androidEnterprise|com.google.android.gm|ann@contoso.com'), { host: null, address: 'ann@contoso.com' });
    assert.equal(accountOfIdentityKey(null), null);
    assert.equal(accountOfIdentityKey('unknown|x'), null);
  });
});
