import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareOsVersions, inapplicabilityOf, targetPlatformOf } from './platform-applicability.ts';
import { device } from './delivery-test-support.ts';

describe('compareOsVersions', () => {
  const cases: [string, string, string, number][] = [
    ['a later minor version is greater', '17.4', '8.0', 1],
    ['an earlier major version is smaller', '7.1.2', '8.0', -1],
    ['missing parts count as zero', '10.0', '10.0.0', 0],
    ['a Windows build number is compared numerically, not as text', '10.0.9600', '10.0.10240', -1],
    ['a suffix after the numbers is ignored', '14 (UP1A)', '5.0', 1],
    ['an unknown version never fails a floor', 'unknown', '8.0', 0],
    ['an empty version never fails a floor', '', '8.0', 0],
  ];
  for (const [sentence, a, b, expected] of cases) {
    it(sentence, () => assert.equal(compareOsVersions(a, b), expected));
  }
});

describe('inapplicabilityOf', () => {
  it('lets a Windows trusted root reach Windows Phone 8.1 and Windows 11', () => {
    assert.equal(targetPlatformOf('windows81TrustedRootCertificate'), 'windowsPhone');
    assert.equal(inapplicabilityOf('windows81TrustedRootCertificate', device('windowsPhone')), null);
    assert.equal(inapplicabilityOf('windows81TrustedRootCertificate', device('windowsPc')), null);
  });

  it('refuses an Android Enterprise certificate on a Knox phone, naming the management mode', () => {
    assert.deepEqual(inapplicabilityOf('androidWorkProfilePkcsCertificateProfile', device('knoxPhone')), {
      reasonCode: 'platformMismatch',
      message: 'A androidWorkProfilePkcsCertificateProfile does not apply to a Android (knox) device.',
    });
  });

  it('checks no OS floor on Knox, whose Knox version the device record lacks', () => {
    assert.equal(inapplicabilityOf('androidEasEmailProfileConfiguration', device('knoxPhone', { osVersion: '4.1' })), null);
  });

  it('says which version the profile needs', () => {
    assert.match(inapplicabilityOf('iosEasEmailProfileConfiguration', device('iPhone', { osVersion: '7.0' }))?.message ?? '', /runs iOS 7\.0; this profile needs 8\.0 or later/);
  });
});
