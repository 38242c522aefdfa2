import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountIdentityKey, describeIdentityRule, normalizeHostName, splitHostAndPort } from './account-identity.ts';
import { emailProfileTypes } from './profiles/profile-types.ts';

const jane = { hostName: 'mail.contoso.com', emailAddress: 'jane@contoso.com' };

type Case = [description: string, profileTypeA: string, a: typeof jane, profileTypeB: string, b: typeof jane];

const sameAccount: Case[] = [
  ['Knox: same email on different hosts', 'androidEasEmailProfileConfiguration', jane, 'androidEasEmailProfileConfiguration', { ...jane, hostName: 'eas.contoso.com' }],
  ['Knox: email differing only in case', 'androidEasEmailProfileConfiguration', jane, 'androidEasEmailProfileConfiguration', { ...jane, emailAddress: 'Jane@Contoso.COM' }],
  ['iOS: host and email differing only in case', 'iosEasEmailProfileConfiguration', jane, 'iosEasEmailProfileConfiguration', { hostName: 'MAIL.Contoso.com', emailAddress: 'JANE@contoso.com' }],
  ['iOS: host with and without a port', 'iosEasEmailProfileConfiguration', jane, 'iosEasEmailProfileConfiguration', { ...jane, hostName: 'mail.contoso.com:443' }],
  ['iOS: host with a trailing root dot and surrounding spaces', 'iosEasEmailProfileConfiguration', jane, 'iosEasEmailProfileConfiguration', { hostName: ' mail.contoso.com. ', emailAddress: ' jane@contoso.com' }],
  ['Windows 10 and Windows Phone 8.1 with the same host and email', 'windows10EasEmailProfileConfiguration', jane, 'windowsPhoneEASEmailProfileConfiguration', jane],
  ['Gmail work profile and its legacy androidForWork twin', 'androidWorkProfileGmailEasConfiguration', jane, 'androidForWorkGmailEasConfiguration', { ...jane, hostName: 'other.contoso.com' }],
  ['Nine Work on different hosts', 'androidWorkProfileNineWorkEasConfiguration', jane, 'androidForWorkNineWorkEasConfiguration', { ...jane, hostName: 'mail.contoso.com:8443' }],
  ['a type with and without the #microsoft.graph. prefix', '#microsoft.graph.iosEasEmailProfileConfiguration', jane, 'iosEasEmailProfileConfiguration', jane],
];

const differentAccounts: Case[] = [
  ['iOS: same email on different hosts', 'iosEasEmailProfileConfiguration', jane, 'iosEasEmailProfileConfiguration', { ...jane, hostName: 'eas.contoso.com' }],
  ['Windows: same email on different hosts', 'windows10EasEmailProfileConfiguration', jane, 'windows10EasEmailProfileConfiguration', { ...jane, hostName: 'eas.contoso.com' }],
  ['Knox: different email on the same host', 'androidEasEmailProfileConfiguration', jane, 'androidEasEmailProfileConfiguration', { ...jane, emailAddress: 'joe@contoso.com' }],
  ['Android Enterprise: Gmail and Nine Work for the same email', 'androidWorkProfileGmailEasConfiguration', jane, 'androidWorkProfileNineWorkEasConfiguration', jane],
  ['iOS and Knox for the same host and email', 'iosEasEmailProfileConfiguration', jane, 'androidEasEmailProfileConfiguration', jane],
];

describe('accountIdentityKey', () => {
  for (const [description, typeA, a, typeB, b] of sameAccount) {
    it(`gives the same key for ${description}`, () => {
      assert.equal(accountIdentityKey(typeA, a), accountIdentityKey(typeB, b));
    });
  }

  for (const [description, typeA, a, typeB, b] of differentAccounts) {
    it(`gives different keys for ${description}`, () => {
      assert.notEqual(accountIdentityKey(typeA, a), accountIdentityKey(typeB, b));
    });
  }

  it('spells out the namespace and normalised parts in the key', () => {
    const input = { hostName: 'Mail.Contoso.com:443', emailAddress: 'Jane@Contoso.com' };
    assert.deepEqual(
      [
        accountIdentityKey('iosEasEmailProfileConfiguration', input),
        accountIdentityKey('windowsPhoneEASEmailProfileConfiguration', input),
        accountIdentityKey('androidEasEmailProfileConfiguration', input),
        accountIdentityKey('androidWorkProfileGmailEasConfiguration', input),
        accountIdentityKey('androidForWorkNineWorkEasConfiguration', input),
      ],
      [
        'ios|mail.contoso.com|jane@contoso.com',
        'windows|mail.contoso.com|jane@contoso.com',
        'knox|jane@contoso.com',
        'androidEnterprise|com.google.android.gm|jane@contoso.com',
        'androidEnterprise|com.ninefolders.hd3.work|jane@contoso.com',
      ],
    );
  });

  it('has a rule for every email profile type', () => {
    for (const type of emailProfileTypes) {
      assert.equal(typeof accountIdentityKey(type, jane), 'string', type);
    }
  });

  it('refuses a type that is not an email profile type', () => {
    assert.throws(() => accountIdentityKey('iosScepCertificateProfile', jane), TypeError);
    assert.throws(() => accountIdentityKey('toString', jane), TypeError);
  });
});

describe('describeIdentityRule', () => {
  it('says which parts identify an account on each platform', () => {
    assert.match(describeIdentityRule('iosEasEmailProfileConfiguration'), /host and email address.*blocks/);
    assert.match(describeIdentityRule('windows10EasEmailProfileConfiguration'), /host and email address.*overwrites/);
    assert.match(describeIdentityRule('androidEasEmailProfileConfiguration'), /email address alone/);
    assert.match(describeIdentityRule('#microsoft.graph.androidForWorkGmailEasConfiguration'), /com\.google\.android\.gm/);
  });
});

describe('splitHostAndPort', () => {
  const cases: [string, { host: string; port: number | null }][] = [
    ['mail.contoso.com', { host: 'mail.contoso.com', port: null }],
    [' mail.contoso.com:8443 ', { host: 'mail.contoso.com', port: 8443 }],
    ['[2001:db8::1]:443', { host: '[2001:db8::1]', port: 443 }],
    ['[2001:db8::1]', { host: '[2001:db8::1]', port: null }],
    ['2001:db8::1', { host: '2001:db8::1', port: null }],
    ['mail.contoso.com:0', { host: 'mail.contoso.com:0', port: null }],
    ['mail.contoso.com:70000', { host: 'mail.contoso.com:70000', port: null }],
  ];
  for (const [input, expected] of cases) {
    it(`splits '${input}' into ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(splitHostAndPort(input), expected);
    });
  }

  it('normalises a host for comparison: lower case, no port, no trailing dot', () => {
    assert.equal(normalizeHostName('Mail.Contoso.COM.:443'), 'mail.contoso.com');
  });
});
