import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvelopeError } from '../../domain/errors.ts';
import { MissingUserAttributeError } from '../../domain/user-values.ts';
import type { GmailEmailProfileSettings } from './android-profile-input.ts';
import {
  allKeys,
  assertGolden,
  assertMatchesSchema,
  gmailProfile,
  jane,
  legacyGmailProfile,
  nineWorkProfile,
  workProfileCertificateAlias,
} from './android-test-support.ts';
import { AndroidPolicyFragment } from './managed-config-schema.ts';
import { renderGmailConfig, renderManagedConfigPolicy, renderNineWorkConfig } from './render-managed-config.ts';

const certificateRefs = { identityCertificateAlias: workProfileCertificateAlias };

describe('renderManagedConfigPolicy', () => {
  it('renders a Gmail work-profile policy fragment matching the golden file and the schema', () => {
    const fragment = renderManagedConfigPolicy(gmailProfile, jane, {});
    assertMatchesSchema(AndroidPolicyFragment, fragment);
    assertGolden('gmail-work-profile.json', fragment);
  });

  it('renders a Nine Work policy fragment matching the golden file and the schema', () => {
    const fragment = renderManagedConfigPolicy(nineWorkProfile, jane, certificateRefs);
    assertMatchesSchema(AndroidPolicyFragment, fragment);
    assertGolden('nine-work-work-profile.json', fragment);
  });

  it('renders a legacy androidForWork Gmail profile matching the golden file and the schema', () => {
    const fragment = renderManagedConfigPolicy(legacyGmailProfile, jane, certificateRefs);
    assertMatchesSchema(AndroidPolicyFragment, fragment);
    assertGolden('gmail-android-for-work.json', fragment);
  });

  it('renders a legacy twin exactly like its work-profile successor', () => {
    const current = { ...legacyGmailProfile, '@odata.type': 'androidWorkProfileGmailEasConfiguration' } as const;
    assert.deepEqual(renderManagedConfigPolicy(legacyGmailProfile, jane, certificateRefs), renderManagedConfigPolicy(current, jane, certificateRefs));
  });

  it('force-installs the mail app the account lives in', () => {
    assert.deepEqual(
      [gmailProfile, nineWorkProfile].map((profile) => renderManagedConfigPolicy(profile, jane, certificateRefs).applications[0]?.installType),
      ['FORCE_INSTALLED', 'FORCE_INSTALLED'],
    );
  });

  it('never carries a password', () => {
    for (const profile of [gmailProfile, legacyGmailProfile, nineWorkProfile]) {
      assert.deepEqual(allKeys(renderManagedConfigPolicy(profile, jane, certificateRefs)).filter((key) => /password/i.test(key)), []);
    }
  });

  it('refuses a profile type that is not an Android Enterprise email type', () => {
    const profile = { ...gmailProfile, '@odata.type': 'iosEasEmailProfileConfiguration' } as unknown as GmailEmailProfileSettings;
    assert.throws(() => renderManagedConfigPolicy(profile, jane, {}), TypeError);
  });
});

describe('renderGmailConfig', () => {
  it('sends the host as written, with its port, and never trusts all certificates', () => {
    const config = renderGmailConfig(legacyGmailProfile, jane, certificateRefs);
    assert.equal(config.exchange_host, 'eas.contoso.com:443');
    assert.equal(config.exchange_trust_all_certificates, false);
  });

  it('logs in as DOMAIN\\user when the profile resolves a domain', () => {
    const profile = { ...gmailProfile, usernameSource: 'samAccountName', customDomainName: 'CONTOSO' } as const;
    assert.equal(renderGmailConfig(profile, jane, {}).exchange_username, 'CONTOSO\\jdoe');
  });

  it('logs in with the bare user name when no domain resolves', () => {
    assert.equal(renderGmailConfig({ ...gmailProfile, usernameSource: 'username' }, jane, {}).exchange_username, 'jane.doe');
  });

  it('names the identity certificate alias only for certificate authentication', () => {
    assert.equal(renderGmailConfig(legacyGmailProfile, jane, certificateRefs).exchange_login_certificate_alias, workProfileCertificateAlias);
    assert.equal('exchange_login_certificate_alias' in renderGmailConfig(gmailProfile, jane, certificateRefs), false);
  });

  it('maps the amount of email to sync to Gmail sync window codes, 0 for unlimited and nothing for user defined', () => {
    const expected = { oneDay: 1, threeDays: 2, oneWeek: 3, twoWeeks: 4, oneMonth: 5, unlimited: 0, userDefined: undefined } as const;
    for (const [duration, code] of Object.entries(expected)) {
      const config = renderGmailConfig({ ...gmailProfile, durationOfEmailToSync: duration as keyof typeof expected }, jane, {});
      assert.equal(config.default_sync_window, code, duration);
    }
  });

  it('refuses certificate authentication before the identity certificate is in the work profile', () => {
    assert.throws(
      () => renderGmailConfig(legacyGmailProfile, jane, {}),
      (error: unknown) => isEnvelopeError(error) && error.code === 'identityCertificateMissing',
    );
  });

  it('refuses derived credentials', () => {
    assert.throws(
      () => renderGmailConfig({ ...gmailProfile, authenticationMethod: 'derivedCredential' }, jane, certificateRefs),
      (error: unknown) => isEnvelopeError(error) && error.code === 'authenticationMethodNotSupported',
    );
  });

  it('throws a typed error when the user has no primary SMTP address', () => {
    assert.throws(
      () => renderGmailConfig(gmailProfile, { ...jane, mail: null }, {}),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'mail',
    );
  });
});

describe('renderNineWorkConfig', () => {
  it('splits host:port into AppServiceHost and AppServicePort', () => {
    const config = renderNineWorkConfig(nineWorkProfile, jane, certificateRefs);
    assert.equal(config.AppServiceHost, 'mail.contoso.com');
    assert.equal(config.AppServicePort, 8443);
  });

  it('uses the scheme default port when the host names none: 443 with SSL, 80 without', () => {
    const withSsl = renderNineWorkConfig({ ...nineWorkProfile, hostName: 'mail.contoso.com' }, jane, certificateRefs);
    const withoutSsl = renderNineWorkConfig({ ...nineWorkProfile, hostName: 'mail.contoso.com', requireSsl: false }, jane, certificateRefs);
    assert.deepEqual([withSsl.AppServicePort, withoutSsl.AppServicePort], [443, 80]);
    assert.equal(withoutSsl.UseSSL, false);
  });

  it('passes the content types to sync as JSON booleans', () => {
    const config = renderNineWorkConfig({ ...nineWorkProfile, syncCalendar: false, syncTasks: true }, jane, certificateRefs);
    assert.deepEqual([config.SyncCalendar, config.SyncContacts, config.SyncTasks], [false, true, true]);
  });

  it('sends the user keys, with a domain only when one resolves', () => {
    const config = renderNineWorkConfig({ ...nineWorkProfile, usernameSource: 'userPrincipalName' }, jane, certificateRefs);
    assert.deepEqual([config.Email, config.Username, 'Domain' in config], ['jane.doe@contoso.com', 'jane.doe@contoso.com', false]);
  });

  it('still requires the identity certificate on the device for certificate authentication', () => {
    assert.throws(
      () => renderNineWorkConfig(nineWorkProfile, jane, {}),
      (error: unknown) => isEnvelopeError(error) && error.code === 'identityCertificateMissing',
    );
  });

  it('throws a typed error when the user has no user principal name', () => {
    assert.throws(
      () => renderNineWorkConfig(nineWorkProfile, { ...jane, userPrincipalName: '' }, certificateRefs),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'userPrincipalName',
    );
  });
});

describe('AndroidPolicyFragment schema', () => {
  it('rejects a Gmail configuration that trusts all certificates or carries a password', () => {
    const fragment = renderManagedConfigPolicy(gmailProfile, jane, {});
    const app = fragment.applications[0];
    assert.ok(app);
    for (const extra of [{ exchange_trust_all_certificates: true }, { exchange_password: 'hunter2' }]) {
      const tampered = { applications: [{ ...app, managedConfiguration: { ...app.managedConfiguration, ...extra } }] };
      assert.throws(() => assertMatchesSchema(AndroidPolicyFragment, tampered));
    }
  });

  it('rejects a Nine Work configuration under the Gmail package', () => {
    const nine = renderManagedConfigPolicy(nineWorkProfile, jane, certificateRefs).applications[0];
    assert.ok(nine);
    assert.throws(() => assertMatchesSchema(AndroidPolicyFragment, { applications: [{ ...nine, packageName: 'com.google.android.gm' }] }));
  });
});
