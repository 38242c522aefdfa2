import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MissingUserAttributeError } from '../../domain/user-values.ts';
import {
  completeUserArbitrary,
  jane,
  windows10Settings,
  windowsPhoneSettings,
  windowsSettingsArbitrary,
} from '../../../test/conformance/windows-fixtures.ts';
import { contentTypeGuids, windowsAccountLeaves, windowsAccountLeavesForUser } from './windows-account-leaves.ts';
import { emailSyncDurations, emailSyncSchedules } from '../../domain/profiles/graph-enums.ts';
import { windows10EasEmailProfileModel, windowsPhoneEasEmailProfileModel } from '../../domain/profiles/windows-email-schemas.ts';
import type { WindowsEasEmailSettings } from './windows-eas-settings.ts';

const values = { userName: 'jdoe', domain: null, emailAddress: 'jane@contoso.com' };

function leafValue(settings: Parameters<typeof windowsAccountLeaves>[0], path: string): string | undefined {
  return windowsAccountLeaves(settings, values).find((leaf) => leaf.path === path)?.value;
}

describe('windowsAccountLeaves', () => {
  it('maps a Windows 10 profile for a user to the account leaves in a fixed order', () => {
    assert.deepEqual(windowsAccountLeavesForUser(windows10Settings, jane), [
      { path: 'EmailAddress', value: 'jane@contoso.com' },
      { path: 'ServerName', value: 'outlook.contoso.com' },
      { path: 'UserName', value: 'jdoe' },
      { path: 'Domain', value: 'CONTOSO' },
      { path: 'AccountName', value: 'Contoso Mail' },
      { path: 'AccountType', value: 'Exchange' },
      { path: 'Options/UseSSL', value: '1' },
      { path: 'Options/MailAgeFilter', value: '3' },
      { path: 'Options/Schedule', value: '-1' },
      { path: `Options/ContentTypes/${contentTypeGuids.email}/Enabled`, value: '1' },
      { path: `Options/ContentTypes/${contentTypeGuids.contacts}/Enabled`, value: '1' },
      { path: `Options/ContentTypes/${contentTypeGuids.calendar}/Enabled`, value: '1' },
      { path: `Options/ContentTypes/${contentTypeGuids.tasks}/Enabled`, value: '0' },
    ]);
  });

  it('reads exactly the settings the two Windows profile models define', () => {
    for (const model of [windows10EasEmailProfileModel, windowsPhoneEasEmailProfileModel]) {
      assert.deepEqual([...model.settingKeys].sort(), Object.keys(windows10Settings).sort(), model.type);
    }
  });

  it('renders a profile created with only the required settings, using the profile model defaults', () => {
    const settings = { ...windows10EasEmailProfileModel.defaults, hostName: 'mail.contoso.com', accountName: 'Mail' };
    assert.deepEqual(
      windowsAccountLeavesForUser(settings as WindowsEasEmailSettings, jane).map((leaf) => `${leaf.path}=${leaf.value}`),
      [
        'EmailAddress=jane.doe@contoso.com',
        'ServerName=mail.contoso.com',
        'UserName=jane.doe@contoso.com',
        'AccountName=Mail',
        'AccountType=Exchange',
        'Options/UseSSL=1',
        `Options/ContentTypes/${contentTypeGuids.email}/Enabled=1`,
        `Options/ContentTypes/${contentTypeGuids.contacts}/Enabled=0`,
        `Options/ContentTypes/${contentTypeGuids.calendar}/Enabled=0`,
        `Options/ContentTypes/${contentTypeGuids.tasks}/Enabled=0`,
      ],
    );
  });

  it('uses the UPN as login and address for a Windows Phone 8.1 profile without sources, with no Domain', () => {
    const leaves = windowsAccountLeavesForUser(windowsPhoneSettings, jane);
    assert.equal(leaves.find((leaf) => leaf.path === 'EmailAddress')?.value, 'jane.doe@contoso.com');
    assert.equal(leaves.find((leaf) => leaf.path === 'UserName')?.value, 'jane.doe@contoso.com');
    assert.equal(leaves.some((leaf) => leaf.path === 'Domain'), false);
  });

  it('maps each amount of email to sync to its MailAgeFilter code and omits the leaf when not configured', () => {
    const expected = { userDefined: undefined, oneDay: '1', threeDays: '2', oneWeek: '3', twoWeeks: '4', oneMonth: '5', unlimited: '0' };
    for (const duration of emailSyncDurations) {
      assert.equal(leafValue({ ...windows10Settings, durationOfEmailToSync: duration }, 'Options/MailAgeFilter'), expected[duration], duration);
    }
  });

  it('maps each sync schedule to minutes and leaves userDefined and basedOnMyUsage to the device', () => {
    const expected = {
      userDefined: undefined,
      asMessagesArrive: '-1',
      manual: '0',
      fifteenMinutes: '15',
      thirtyMinutes: '30',
      sixtyMinutes: '60',
      basedOnMyUsage: undefined,
    };
    for (const schedule of emailSyncSchedules) {
      assert.equal(leafValue({ ...windows10Settings, emailSyncSchedule: schedule }, 'Options/Schedule'), expected[schedule], schedule);
    }
  });

  it('writes UseSSL as the strings 1 and 0', () => {
    assert.equal(leafValue({ ...windows10Settings, requireSsl: true }, 'Options/UseSSL'), '1');
    assert.equal(leafValue({ ...windows10Settings, requireSsl: false }, 'Options/UseSSL'), '0');
  });

  it('always enables email and follows the contacts, calendar and tasks switches', () => {
    const off = { ...windows10Settings, syncContacts: false, syncCalendar: false, syncTasks: false };
    const enabled = (guid: string) => leafValue(off, `Options/ContentTypes/${guid}/Enabled`);
    assert.deepEqual(
      [enabled(contentTypeGuids.email), enabled(contentTypeGuids.contacts), enabled(contentTypeGuids.calendar), enabled(contentTypeGuids.tasks)],
      ['1', '0', '0', '0'],
    );
  });

  it('sends the custom domain name with a sAM login when the profile sets one', () => {
    const leaves = windowsAccountLeavesForUser({ ...windows10Settings, customDomainName: 'EMEA' }, jane);
    assert.equal(leaves.find((leaf) => leaf.path === 'Domain')?.value, 'EMEA');
  });

  it('throws MissingUserAttributeError when the user lacks the attribute the profile needs', () => {
    const noSam = { ...jane, onPremisesSamAccountName: null };
    assert.throws(
      () => windowsAccountLeavesForUser(windows10Settings, noSam),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'onPremisesSamAccountName',
    );
    const noMail = { ...jane, mail: null };
    assert.throws(() => windowsAccountLeavesForUser(windows10Settings, noMail), MissingUserAttributeError);
  });

  it('never produces a Password, an AccountIcon or a content-type Name leaf for any profile', () => {
    fc.assert(
      fc.property(windowsSettingsArbitrary, completeUserArbitrary, (settings, user) => {
        const paths = windowsAccountLeavesForUser(settings, user).map((leaf) => leaf.path);
        assert.equal(paths.includes('Password'), false);
        assert.equal(paths.includes('AccountIcon'), false);
        assert.equal(paths.some((path) => path.endsWith('/Name')), false);
        assert.equal(new Set(paths).size, paths.length);
      }),
    );
  });
});
