import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvelopeError } from '../domain/errors.ts';
import { MissingUserAttributeError } from '../domain/user-values.ts';
import { subjectOids } from './subject-attributes.ts';
import { resolveCertificateNames, type CertificateNameSettings, type SubjectAttribute } from './subject-name.ts';
import { testDevice, testUser } from './test-support/certificate-fixtures.ts';

const user = testUser();
const device = testDevice();
const shortNames = new Map<string, string>(Object.entries(subjectOids).map(([name, oid]) => [oid, name]));

/** `CN=jane.doe, E=jane@contoso.com`: the RDNs in order, OIDs shown by their short names. */
function subjectText(subject: readonly SubjectAttribute[]): string {
  return subject.map(({ oid, value }) => `${shortNames.get(oid) ?? oid}=${value}`).join(', ');
}

function settings(subjectNameFormat: string, subjectNameFormatString: string | null = null, subjectAlternativeNameType = 'none'): CertificateNameSettings {
  return { subjectNameFormat, subjectNameFormatString, subjectAlternativeNameType };
}

function assertEnvelopeError(action: () => unknown, code: string, target: string, messagePart: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isEnvelopeError(error), `expected an EnvelopeError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.status, 422);
    assert.equal(error.target, target);
    assert.match(error.message, new RegExp(messagePart.replace(/[{}()|.*+?^$[\]\\]/g, '\\$&')));
    return true;
  });
}

describe('certificate subject names', () => {
  const variants: [name: string, settings: CertificateNameSettings, subject: string][] = [
    ['commonName is the user name without domain', settings('commonName'), 'CN=jane.doe'],
    ['commonNameIncludingEmail adds the mail as E', settings('commonNameIncludingEmail'), 'CN=jane.doe, E=jane@contoso.com'],
    ['commonNameAsEmail is the mail', settings('commonNameAsEmail'), 'CN=jane@contoso.com'],
    ['commonNameAsIntuneDeviceId is the managed device id', settings('commonNameAsIntuneDeviceId'), `CN=${device.id}`],
    ['commonNameAsAadDeviceId falls back to the managed device id', settings('commonNameAsAadDeviceId'), `CN=${device.id}`],
    [
      'custom substitutes user variables and keeps static attributes in order',
      settings('custom', 'CN={{UserName}},E={{EmailAddress}},OU=Mobile,O=Finance Group,L=Redmond,ST=Washington,C=US'),
      'CN=jane.doe, E=jane@contoso.com, OU=Mobile, O=Finance Group, L=Redmond, ST=Washington, C=US',
    ],
    ['custom resolves the UPN and device name, split on semicolons', settings('custom', 'CN={{UserPrincipalName}}; OU={{DeviceName}}'), 'CN=jane.doe@contoso.com, OU=Jane iPhone'],
    ['custom matches variable and attribute names case-insensitively', settings('custom', 'cn={{username}},s=WA'), 'CN=jane.doe, ST=WA'],
    ['custom resolves device id variables', settings('custom', 'CN={{AAD_Device_ID}},OU={{DeviceId}}'), `CN=${device.id}, OU=${device.id}`],
    ['custom resolves the on-premises account name', settings('custom', 'CN={{OnPremisesSamAccountName}}'), 'CN=jdoe'],
    ['custom keeps a quoted comma inside its value', settings('custom', 'CN={{UserName}},O="Contoso, Ltd"'), 'CN=jane.doe, O=Contoso, Ltd'],
    ['custom accepts a dotted OID as attribute type', settings('custom', 'CN={{UserName}},2.5.4.45=x1'), 'CN=jane.doe, 2.5.4.45=x1'],
  ];
  for (const [name, input, expected] of variants) {
    it(`${name}`, () => {
      assert.equal(subjectText(resolveCertificateNames(input, user, device).subject), expected);
    });
  }

  it('a comma in a substituted value never splits an RDN', () => {
    const names = resolveCertificateNames(settings('custom', 'CN={{DeviceName}},O=Contoso'), user, testDevice({ deviceName: 'Jane, iPhone' }));
    assert.deepEqual(names.subject, [
      { oid: subjectOids.CN, value: 'Jane, iPhone' },
      { oid: subjectOids.O, value: 'Contoso' },
    ]);
  });

  const refusals: [name: string, settings: CertificateNameSettings, code: string, target: string, messagePart: string][] = [
    ['commonNameAsIMEI is refused: Envelope has no IMEI', settings('commonNameAsIMEI'), 'certificateNameUnsupported', 'subjectNameFormat', "'commonNameAsIMEI'"],
    ['commonNameAsSerialNumber is refused', settings('commonNameAsSerialNumber'), 'certificateNameUnsupported', 'subjectNameFormat', "'commonNameAsSerialNumber'"],
    ['commonNameAsDurableDeviceId is refused', settings('commonNameAsDurableDeviceId'), 'certificateNameUnsupported', 'subjectNameFormat', "'commonNameAsDurableDeviceId'"],
    ['a device variable Envelope does not inventory is refused', settings('custom', 'CN={{SERIALNUMBER}}'), 'certificateNameUnsupported', 'subjectNameFormatString', '{{SERIALNUMBER}}'],
    ['an unknown variable is refused', settings('custom', 'CN={{Department}}'), 'certificateNameInvalid', 'subjectNameFormatString', '{{Department}}'],
    ['a malformed variable is refused', settings('custom', 'CN={{UserName}'), 'certificateNameInvalid', 'subjectNameFormatString', 'malformed variable'],
    ['an unknown attribute type is refused', settings('custom', 'CN=x,XX=y'), 'certificateNameInvalid', 'subjectNameFormatString', "'XX'"],
    ['a country that is not two letters is refused', settings('custom', 'CN=x,C=USA'), 'certificateNameInvalid', 'subjectNameFormatString', 'two-letter'],
    ['a part without = is refused', settings('custom', 'CN'), 'certificateNameInvalid', 'subjectNameFormatString', 'KEY=value'],
    ['an unterminated quote is refused', settings('custom', 'CN="x'), 'certificateNameInvalid', 'subjectNameFormatString', 'unterminated quote'],
    ['an empty custom subject is refused', settings('custom', ' , '), 'certificateNameInvalid', 'subjectNameFormatString', 'empty'],
    ['an attribute without a value is refused', settings('custom', 'CN=x,OU='), 'certificateNameInvalid', 'subjectNameFormatString', 'no value'],
    ['a SAN type that needs a custom value is refused', settings('commonName', null, 'domainNameService'), 'certificateNameUnsupported', 'subjectAlternativeNameType', "'domainNameService'"],
  ];
  for (const [name, input, code, target, messagePart] of refusals) {
    it(`${name}`, () => {
      assertEnvelopeError(() => resolveCertificateNames(input, user, device), code, target, messagePart);
    });
  }

  const missing: [name: string, settings: CertificateNameSettings, user: ReturnType<typeof testUser>, attribute: string, neededBy: string][] = [
    ['commonNameAsEmail for a user without mail', settings('commonNameAsEmail'), testUser({ mail: null }), 'mail', "subjectNameFormat 'commonNameAsEmail'"],
    ['commonNameIncludingEmail for a user with blank mail', settings('commonNameIncludingEmail'), testUser({ mail: ' ' }), 'mail', "subjectNameFormat 'commonNameIncludingEmail'"],
    ['{{EmailAddress}} for a user without mail', settings('custom', 'E={{EmailAddress}}'), testUser({ mail: null }), 'mail', 'subjectNameFormatString'],
    ['{{OnPremisesSamAccountName}} for a cloud-only user', settings('custom', 'CN={{OnPremisesSamAccountName}}'), testUser({ onPremisesSamAccountName: null }), 'onPremisesSamAccountName', 'subjectNameFormatString'],
    ['an emailAddress SAN for a user without mail', settings('commonName', null, 'emailAddress'), testUser({ mail: null }), 'mail', "subjectAlternativeNameType 'emailAddress'"],
  ];
  for (const [name, input, who, attribute, neededBy] of missing) {
    it(`${name} throws MissingUserAttributeError naming the attribute and the setting`, () => {
      assert.throws(
        () => resolveCertificateNames(input, who, device),
        (error: unknown) =>
          error instanceof MissingUserAttributeError &&
          error.attribute === attribute &&
          error.code === 'userAttributeMissing' &&
          error.status === 422 &&
          error.message.includes(neededBy),
      );
    });
  }
});

describe('certificate subject alternative names', () => {
  const cases: [flags: string, email: string | null, upn: string | null][] = [
    ['none', null, null],
    ['emailAddress', 'jane@contoso.com', null],
    ['userPrincipalName', null, 'jane.doe@contoso.com'],
    ['emailAddress,userPrincipalName', 'jane@contoso.com', 'jane.doe@contoso.com'],
  ];
  for (const [flags, email, upn] of cases) {
    it(`subjectAlternativeNameType '${flags}' yields rfc822Name ${email ?? 'none'} and UPN ${upn ?? 'none'}`, () => {
      assert.deepEqual(resolveCertificateNames(settings('commonName', null, flags), user, device).altNames, { email, userPrincipalName: upn });
    });
  }

  it('a non-ASCII mail cannot become an rfc822Name and is refused', () => {
    assertEnvelopeError(
      () => resolveCertificateNames(settings('commonName', null, 'emailAddress'), testUser({ mail: 'jürgen@contoso.com' }), device),
      'certificateNameInvalid',
      'subjectAlternativeNameType',
      'must be ASCII',
    );
  });
});
