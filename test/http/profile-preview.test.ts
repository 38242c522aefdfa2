import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as plist from 'plist';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { loadApplePayloadSchemas, validateAppleProfile } from '../conformance/apple-schema.ts';
import { ddfFiles, loadDdf, validateSyncMlAgainstDdf } from '../conformance/windows-ddf.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const testRoot = 'MIIBjzCCATWgAwIBAgIUIaBoCu8rX0x2LeqtKw13yGCQarcwCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSRW52ZWxvcGUgVGVzdCBSb290MB4XDTI2MTEyMjEzMzU1MFoXDTQ2MTExNzEzMzU1MFowHTEbMBkGA1UEAwwSRW52ZWxvcGUgVGVzdCBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhUvWSUSZXCU2Suo/FF3sr080SLUnm6yN2Q2HvKYrOJyi9hD06GlQ0qBMHkfVFJmdAp1+/FZvG2SldmMX+7U/uqNTMFEwHQYDVR0OBBYEFKtZkUVRj58Fu1f1xFkF7Nx0J/N5MB8GA1UdIwQYMBaAFKtZkUVRj58Fu1f1xFkF7Nx0J/N5MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAOOA7DuDe22T8matoqTtDl10L88cIW55a5KFQKQn0KMIAiA3XwEqs8qCuyzhcKFb4FGp9zwLUULbNru36s1zEpU2tA==';
const bind = (id: string) => `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${id}')`;

describe('GET …/deviceConfigurations/{id}/preview', () => {
  let t: TestApp;
  let jane: string;
  let noMail: string;
  const apple = loadApplePayloadSchemas();
  const ddf = loadDdf(ddfFiles.current);

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  const emailBase = {
    accountName: 'Contoso', hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName',
    emailAddressSource: 'primarySmtpAddress', requireSsl: true, durationOfEmailToSync: 'twoWeeks',
  };

  before(async () => {
    t = await createTestApp();
    jane = await create('/graph/beta/users', {
      displayName: 'Jane Doe', userPrincipalName: 'jane@contoso.com', mail: 'jane.doe@contoso.com',
      onPremisesSamAccountName: 'jdoe', onPremisesNetBiosName: 'CONTOSO', onPremisesDomainName: 'contoso.com',
    });
    noMail = await create('/graph/beta/users', { displayName: 'No Mail', userPrincipalName: 'nomail@contoso.com' });
  });
  after(() => t.close());

  it('renders an iOS profile for the user as a .mobileconfig that conforms to Apple’s schema, without a password', async () => {
    const id = await create(configs, { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS', ...emailBase, usernameAADSource: 'samAccountName', userDomainNameSource: 'netBiosDomainName' });
    const reply = await t.request('GET', `${configs}/${id}/preview?userId=${jane}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.format, 'mobileconfig');
    assert.equal(reply.body.emailAddress, 'jane.doe@contoso.com');
    assert.equal(reply.body.deviceId, null);
    const profile = plist.parse(reply.body.content) as { PayloadContent: Array<Record<string, unknown>> };
    assert.deepEqual(validateAppleProfile(apple, profile), []);
    const eas = profile.PayloadContent.find((p) => p.PayloadType === 'com.apple.eas.account')!;
    assert.equal(eas.UserName, 'CONTOSO\\jdoe');
    assert.equal(eas.EmailAddress, 'jane.doe@contoso.com');
    assert.equal(eas.SSL, true);
    assert.equal(eas.MailNumberOfPastDaysToSync, 14);
    assert.doesNotMatch(reply.body.content, /<key>Password<\/key>/);
    assert.equal(reply.body.accountIdentityKey, 'ios|mail.contoso.com|jane.doe@contoso.com');
  });

  it('includes the SCEP identity and its trusted root, linked by PayloadUUID; PKCS identities carry no key or password', async () => {
    const root = await create(configs, { '@odata.type': '#microsoft.graph.iosTrustedRootCertificate', displayName: 'Root', trustedRootCertificate: testRoot, certFileName: 'root.cer' });
    const scep = await create(configs, {
      '@odata.type': '#microsoft.graph.iosScepCertificateProfile', displayName: 'SCEP', scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
      subjectAlternativeNameType: 'emailAddress', keyUsage: 'digitalSignature', keySize: 'size2048', 'rootCertificate@odata.bind': bind(root),
    });
    const pkcs = await create(configs, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'PKCS', subjectAlternativeNameType: 'emailAddress' });
    const id = await create(configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS certificate', ...emailBase,
      authenticationMethod: 'certificate', 'identityCertificate@odata.bind': bind(scep),
      requireSmime: true, smimeSigningEnabled: true, signingCertificateType: 'certificate', 'smimeSigningCertificate@odata.bind': bind(pkcs),
    });
    const reply = await t.request('GET', `${configs}/${id}/preview?userId=${jane}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const profile = plist.parse(reply.body.content) as { PayloadContent: Array<Record<string, unknown>> };
    const byType = (type: string) => profile.PayloadContent.filter((p) => p.PayloadType === type);
    const eas = byType('com.apple.eas.account')[0]!;
    assert.equal(eas.PayloadCertificateUUID, byType('com.apple.security.scep')[0]!.PayloadUUID);
    assert.equal(eas.SMIMESigningCertificateUUID, byType('com.apple.security.pkcs12')[0]!.PayloadUUID);
    assert.equal(byType('com.apple.security.root').length, 1);
    const scepContent = byType('com.apple.security.scep')[0]!.PayloadContent as Record<string, unknown>;
    assert.equal(scepContent.URL, 'https://ndes.contoso.com/certsrv/mscep/mscep.dll');
    assert.deepEqual(scepContent.SubjectAltName, { rfc822Name: 'jane.doe@contoso.com' });
    const pkcs12 = byType('com.apple.security.pkcs12')[0]!;
    assert.equal('Password' in pkcs12, false);
    assert.equal(Buffer.from(pkcs12.PayloadContent as Buffer).length, 0, 'no PKCS#12 bytes in a preview');
    assert.ok(reply.body.notes.some((n: string) => /issued per device at delivery/.test(n)));
  });

  it('renders a Windows profile as SyncML that conforms to Microsoft’s ActiveSync DDF', async () => {
    const id = await create(configs, {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'Windows', ...emailBase,
      emailSyncSchedule: 'fifteenMinutes', syncCalendar: true, syncContacts: false, syncTasks: true,
    });
    const reply = await t.request('GET', `${configs}/${id}/preview?userId=${jane}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.format, 'syncml');
    assert.deepEqual(validateSyncMlAgainstDdf(ddf, reply.body.content), []);
    assert.match(reply.body.content, /ServerName<\/LocURI>[\s\S]*?<Data>mail\.contoso\.com<\/Data>/);
    assert.doesNotMatch(reply.body.content, /Password/);
  });

  it('renders Knox and Android Enterprise profiles as JSON for the agent and the policy', async () => {
    const knox = await create(configs, {
      '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', displayName: 'Knox', ...emailBase,
      authenticationMethod: 'usernameAndPassword', requireSmime: false, emailSyncSchedule: 'asMessagesArrive', syncCalendar: true, syncContacts: true, syncTasks: false, syncNotes: false,
    });
    const knoxReply = await t.request('GET', `${configs}/${knox}/preview?userId=${jane}`);
    assert.equal(knoxReply.status, 200, JSON.stringify(knoxReply.body));
    assert.equal(knoxReply.body.content.account.acceptAllCertificates, false);
    assert.equal(knoxReply.body.content.account.emailAddress, 'jane.doe@contoso.com');
    assert.equal('serverPassword' in knoxReply.body.content.account, false);
    const gmail = await create(configs, {
      '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Gmail',
      hostName: 'mail.contoso.com:8443', authenticationMethod: 'usernameAndPassword', usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
    const gmailReply = await t.request('GET', `${configs}/${gmail}/preview?userId=${jane}`);
    assert.equal(gmailReply.status, 200, JSON.stringify(gmailReply.body));
    const app = gmailReply.body.content.applications[0];
    assert.equal(app.packageName, 'com.google.android.gm');
    assert.equal(app.managedConfiguration.exchange_host, 'mail.contoso.com:8443');
    assert.equal(app.managedConfiguration.email_address, 'jane@contoso.com');
  });

  it('answers 422 naming the missing attribute when the user lacks it, instead of a broken payload', async () => {
    const id = await create(configs, { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Needs mail', ...emailBase });
    const reply = await t.request('GET', `${configs}/${id}/preview?userId=${noMail}`);
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, 'userAttributeMissing');
    assert.equal(reply.body.error.target, 'mail');
  });

  it('serves the raw payload with its media type on format=raw', async () => {
    const id = await create(configs, { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Raw', ...emailBase });
    const reply = await t.request('GET', `${configs}/${id}/preview?userId=${jane}&format=raw`);
    assert.equal(reply.status, 200);
    assert.match(reply.raw.headers['content-type'] as string, /application\/x-apple-aspen-config/);
    assert.match(reply.raw.body, /^<\?xml/);
  });

  it('refuses readOnly tokens, other tenants, a missing userId and a device of someone else', async () => {
    const id = await create(configs, { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Guarded', ...emailBase });
    assert.equal((await t.request('GET', `${configs}/${id}/preview?userId=${jane}`, { token: await t.readOnlyToken() })).status, 403);
    const other = await t.tenant('fabrikam');
    assert.equal((await t.request('GET', `${configs}/${id}/preview?userId=${jane}`, { token: other.admin })).status, 404);
    const missing = await t.request('GET', `${configs}/${id}/preview`);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.target, 'userId');
    const device = await create('/graph/beta/deviceManagement/managedDevices', { deviceName: 'Other iPhone', operatingSystem: 'iOS', osVersion: '18', userId: noMail });
    const wrongDevice = await t.request('GET', `${configs}/${id}/preview?userId=${jane}&deviceId=${device}`);
    assert.equal(wrongDevice.status, 400);
    assert.equal(wrongDevice.body.error.target, 'deviceId');
  });
});
