import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { devicePlatformMatches, emailProfileTargetPlatforms, targetPlatforms, type DevicePlatform, type TargetPlatform } from './device-platform.ts';

const devices = {
  iPhone: { operatingSystem: 'iOS', androidManagementMode: null },
  iPad: { operatingSystem: 'iPadOS', androidManagementMode: null },
  windows: { operatingSystem: 'Windows', androidManagementMode: null },
  windowsPhone: { operatingSystem: 'WindowsPhone', androidManagementMode: null },
  knox: { operatingSystem: 'Android', androidManagementMode: 'knox' },
  workProfile: { operatingSystem: 'Android', androidManagementMode: 'workProfile' },
  unknownAndroid: { operatingSystem: 'Android', androidManagementMode: null },
} as const satisfies Record<string, DevicePlatform>;

/** The devices each family reaches; every other device in `devices` is a mismatch. */
const reaches: Record<TargetPlatform, Array<keyof typeof devices>> = {
  ios: ['iPhone', 'iPad'],
  windows: ['windows'],
  windowsPhone: ['windowsPhone', 'windows'],
  knox: ['knox'],
  androidWorkProfile: ['workProfile'],
  androidForWork: ['workProfile'],
};

describe('devicePlatformMatches', () => {
  for (const family of targetPlatforms) {
    it(`lets ${family} profiles reach exactly ${reaches[family].join(' and ')} devices`, () => {
      for (const [name, device] of Object.entries(devices)) {
        assert.equal(devicePlatformMatches(family, device), reaches[family].includes(name as keyof typeof devices), name);
      }
    });
  }

  it('applies Windows Phone 8.1 profiles to Windows 10 devices but not Windows 10 profiles to Windows Phones', () => {
    assert.equal(devicePlatformMatches('windowsPhone', devices.windows), true);
    assert.equal(devicePlatformMatches('windows', devices.windowsPhone), false);
  });

  it('maps every email profile type of SPEC §2 to a family, the Android Enterprise twins to their own', () => {
    assert.equal(emailProfileTargetPlatforms.iosEasEmailProfileConfiguration, 'ios');
    assert.equal(emailProfileTargetPlatforms.windowsPhoneEASEmailProfileConfiguration, 'windowsPhone');
    assert.equal(emailProfileTargetPlatforms.androidEasEmailProfileConfiguration, 'knox');
    assert.equal(emailProfileTargetPlatforms.androidWorkProfileNineWorkEasConfiguration, 'androidWorkProfile');
    assert.equal(emailProfileTargetPlatforms.androidForWorkGmailEasConfiguration, 'androidForWork');
    assert.deepEqual(new Set(Object.values(emailProfileTargetPlatforms)), new Set(targetPlatforms));
  });
});
