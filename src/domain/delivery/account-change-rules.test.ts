import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificatesTravelInsideProfile, conflictKeyOf, hasEnvelopeAccountId, promptKeyOf, recreateKeyOf, replacesOnUserChange } from './account-change-rules.ts';

const values = { userName: 'jdoe', domain: 'CONTOSO', emailAddress: 'Jane@Contoso.com' };

describe('conflictKeyOf', () => {
  it('keys Gmail profiles by the app alone, so different addresses collide', () => {
    assert.equal(conflictKeyOf('androidWorkProfileGmailEasConfiguration', 'a.contoso.com', 'a@contoso.com'), conflictKeyOf('androidForWorkGmailEasConfiguration', 'b.contoso.com', 'b@contoso.com'));
  });
  it('keeps Gmail and Nine Work apart', () => {
    assert.notEqual(conflictKeyOf('androidWorkProfileGmailEasConfiguration', 'h', 'a@contoso.com'), conflictKeyOf('androidWorkProfileNineWorkEasConfiguration', 'h', 'a@contoso.com'));
  });
  it('uses the account identity key elsewhere', () => {
    assert.equal(conflictKeyOf('iosEasEmailProfileConfiguration', 'Mail.Contoso.com', 'Jane@contoso.com'), 'ios|mail.contoso.com|jane@contoso.com');
  });
});

describe('recreateKeyOf', () => {
  it('changes on Windows when the user name changes, because Windows freezes it after the first sync', () => {
    assert.notEqual(recreateKeyOf('windows10EasEmailProfileConfiguration', values), recreateKeyOf('windows10EasEmailProfileConfiguration', { ...values, userName: 'jane.doe' }));
  });
  it('does not change on Windows when only the address changes, which Replace can apply', () => {
    assert.equal(recreateKeyOf('windowsPhoneEASEmailProfileConfiguration', values), recreateKeyOf('windowsPhoneEASEmailProfileConfiguration', { ...values, emailAddress: 'jd@contoso.com' }));
  });
  it('changes on Knox when the address changes, ignoring case', () => {
    assert.equal(recreateKeyOf('androidEasEmailProfileConfiguration', values), 'jane@contoso.com');
  });
  it('is null on iOS and Android Enterprise, which update in place', () => {
    assert.equal(recreateKeyOf('iosEasEmailProfileConfiguration', values), null);
    assert.equal(recreateKeyOf('androidWorkProfileGmailEasConfiguration', values), null);
  });
});

describe('promptKeyOf', () => {
  const base = { authenticationMethod: 'usernameAndPassword', useOAuth: false, easServices: 'calendars,contacts,email', requireSsl: true };
  it('changes on iOS when the synced services change', () => {
    assert.notEqual(promptKeyOf('iosEasEmailProfileConfiguration', base), promptKeyOf('iosEasEmailProfileConfiguration', { ...base, easServices: 'email' }));
  });
  it('changes on iOS when OAuth is switched on', () => {
    assert.notEqual(promptKeyOf('iosEasEmailProfileConfiguration', base), promptKeyOf('iosEasEmailProfileConfiguration', { ...base, useOAuth: true }));
  });
  it('does not change on iOS for a setting that does not prompt', () => {
    assert.equal(promptKeyOf('iosEasEmailProfileConfiguration', base), promptKeyOf('iosEasEmailProfileConfiguration', { ...base, requireSsl: false }));
  });
  it('is null off iOS', () => {
    assert.equal(promptKeyOf('androidEasEmailProfileConfiguration', base), null);
  });
});

describe('platform delivery traits', () => {
  it('embeds certificates only on iOS', () => {
    assert.equal(certificatesTravelInsideProfile('iosPkcsCertificateProfile'), true);
    assert.equal(certificatesTravelInsideProfile('androidEasEmailProfileConfiguration'), false);
  });
  it('assigns account ids only where Envelope names the account: Windows and Knox email', () => {
    assert.deepEqual(
      (['windows10EasEmailProfileConfiguration', 'windowsPhoneEASEmailProfileConfiguration', 'androidEasEmailProfileConfiguration', 'iosEasEmailProfileConfiguration', 'androidWorkProfileGmailEasConfiguration', 'androidPkcsCertificateProfile'] as const).map(hasEnvelopeAccountId),
      [true, true, true, false, false, false],
    );
  });
  it('replaces the account on a new primary user everywhere but Android Enterprise', () => {
    assert.deepEqual(['ios', 'windows', 'knox', 'androidWorkProfile', 'androidForWork'].map((f) => replacesOnUserChange(f as never)), [true, true, true, false, false]);
  });
});
