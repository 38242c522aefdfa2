import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import type { MdmCommand } from '../../src/protocols/apple-mdm/index.ts';
import { openssl, skipWithoutOpenssl, withFiles } from '../../src/pki/test-support/openssl.ts';
import { readPlistXml } from '../conformance/apple-plist-reader.ts';
import { setUpEnrollment, tenantCaPem, type Dict, type EnrollmentSetup } from '../helpers/apple-enrollment.ts';
import { TestAppleDevice } from '../helpers/apple-device.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const bind = (id: string) => `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${id}')`;

/** What a device finds in one delivered profile's PKCS#12 payload, opened with the password beside it. */
interface DeliveredIdentity {
  /** The top-level PayloadIdentifier of the profile that carried it. */
  profileIdentifier: string;
  payloadUuid: string;
  /** The EAS account's PayloadCertificateUUID, for an email profile. */
  accountCertificateUuid: string | null;
  serialNumber: string;
  certificateModulus: string;
  keyModulus: string;
}

/** Verifies the signed profile against the tenant CA (openssl cms), then opens its PKCS#12 with node-forge. */
function deliveredIdentity(command: MdmCommand | null, caPem: string): DeliveredIdentity {
  assert.ok(command, 'a command');
  assert.equal(command.Command.RequestType, 'InstallProfile');
  const signed = (command.Command as { Payload: Uint8Array }).Payload;
  const xml = withFiles({ 'profile.der': signed, 'ca.pem': caPem }, (path) => {
    const verified = openssl(['cms', '-verify', '-inform', 'DER', '-in', path('profile.der'), '-CAfile', path('ca.pem')]);
    assert.equal(verified.status, 0, verified.stderr);
    return verified.stdout;
  });
  const profile = readPlistXml(xml) as Dict;
  const payloads = profile.PayloadContent as Dict[];
  const pkcs12 = payloads.filter((p) => p.PayloadType === 'com.apple.security.pkcs12');
  assert.equal(pkcs12.length, 1, 'one PKCS#12 payload');
  const account = payloads.find((p) => p.PayloadType === 'com.apple.eas.account');
  const asn1 = forge.asn1.fromDer(Buffer.from(pkcs12[0]!.PayloadContent as Uint8Array).toString('binary'));
  const pfx = forge.pkcs12.pkcs12FromAsn1(asn1, true, pkcs12[0]!.Password as string);
  const certificate = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!.cert!;
  const key = pfx.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]![0]!.key as forge.pki.rsa.PrivateKey;
  return {
    profileIdentifier: profile.PayloadIdentifier as string,
    payloadUuid: pkcs12[0]!.PayloadUUID as string,
    accountCertificateUuid: account ? (account.PayloadCertificateUUID as string) : null,
    serialNumber: certificate.serialNumber,
    certificateModulus: (certificate.publicKey as forge.pki.rsa.PublicKey).n.toString(16),
    keyModulus: key.n.toString(16),
  };
}

describe('PKCS identities through the Apple channel', { skip: skipWithoutOpenssl }, () => {
  let t: TestApp;
  let setup: EnrollmentSetup;
  let caPem: string;

  before(async () => {
    t = await createTestApp();
    setup = await setUpEnrollment(t);
    caPem = await tenantCaPem(t);
  });
  after(() => t.close());

  it('gives an iPhone one identity, carried both by the PKCS certificate profile and by the email profile that authenticates with it, even across a re-offer', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const pkcs = await t.request('POST', configs, {
      body: { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Mail identity', subjectAlternativeNameType: 'userPrincipalName' },
    });
    assert.equal(pkcs.status, 201, JSON.stringify(pkcs.body));
    const mail = await t.request('POST', configs, {
      body: {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Certificate mail', accountName: 'Certificate mail', hostName: 'mail.contoso.com',
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
        authenticationMethod: 'certificate', 'identityCertificate@odata.bind': bind(pkcs.body.id),
      },
    });
    assert.equal(mail.status, 201, JSON.stringify(mail.body));
    const group = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Certificate mail users', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${setup.userId}`] } });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    for (const id of [pkcs.body.id, mail.body.id]) {
      const assigned = await t.request('POST', `${configs}/${id}/assign`, {
        body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.body.id } }] },
      });
      assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    }

    // The first install offered is answered NotNow (as a locked device does); the server offers it
    // again, rendered anew, at a later check-in.
    const delivered: (DeliveredIdentity & { commandUuid: string })[] = [];
    let notNowUuid: string | null = null;
    let reply = await device.idle();
    for (let exchanges = 0; exchanges < 10; exchanges++) {
      if (reply.command?.Command.RequestType !== 'InstallProfile') {
        reply = await device.idle();
        if (reply.command?.Command.RequestType !== 'InstallProfile') break;
      }
      const command = reply.command!;
      delivered.push({ ...deliveredIdentity(command, caPem), commandUuid: command.CommandUUID });
      if (notNowUuid === null) {
        notNowUuid = command.CommandUUID;
        reply = await device.report({ Status: 'NotNow', CommandUUID: command.CommandUUID });
      } else {
        reply = await device.acknowledge(command);
      }
    }

    assert.equal(delivered.length, 3, 'two installs, one of them offered twice');
    assert.equal(delivered.filter((d) => d.commandUuid === notNowUuid).length, 2, 'the install answered NotNow came back');
    const byProfile = (id: string) => delivered.filter((d) => d.profileIdentifier.includes(id));
    assert.equal(byProfile(pkcs.body.id).length + byProfile(mail.body.id).length, 3);
    assert.ok(byProfile(pkcs.body.id).length >= 1, 'the certificate profile was installed');
    const [email] = byProfile(mail.body.id);
    assert.ok(email, 'the email profile was installed');
    assert.equal(email.accountCertificateUuid, email.payloadUuid, 'the account authenticates with the identity inside its own profile');
    assert.deepEqual(new Set(delivered.map((d) => d.serialNumber)).size, 1, `one certificate in every profile: ${delivered.map((d) => d.serialNumber).join(', ')}`);
    assert.deepEqual(new Set(delivered.map((d) => d.keyModulus)).size, 1, 'one key in every profile');
    assert.equal(delivered[0]!.keyModulus, delivered[0]!.certificateModulus, 'the key belongs to the certificate');
    assert.equal(await t.count('issued_identities'), 1, 'one identity stored');
  });
});
