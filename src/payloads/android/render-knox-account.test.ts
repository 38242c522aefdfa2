import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEnvelopeError } from '../../domain/errors.ts';
import { MissingUserAttributeError } from '../../domain/user-values.ts';
import {
  allKeys,
  assertGolden,
  assertMatchesSchema,
  jane,
  knoxCertificateProfile,
  knoxPasswordProfile,
  knoxRefs,
} from './android-test-support.ts';
import { KnoxAccountEnvelope } from './knox-account-schema.ts';
import { renderKnoxAccount } from './render-knox-account.ts';

const passwordRefs = { accountKey: knoxRefs.accountKey };

function rejectsWithCode(render: () => unknown, code: string): void {
  assert.throws(render, (error: unknown) => isEnvelopeError(error) && error.code === code && error.status === 422);
}

describe('renderKnoxAccount', () => {
  it('renders a username/password account matching the golden file and the agent schema', () => {
    const envelope = renderKnoxAccount(knoxPasswordProfile, jane, passwordRefs);
    assertMatchesSchema(KnoxAccountEnvelope, envelope);
    assertGolden('knox-username-password.json', envelope);
  });

  it('renders a certificate account with S/MIME signing matching the golden file and the agent schema', () => {
    const envelope = renderKnoxAccount(knoxCertificateProfile, jane, knoxRefs);
    assertMatchesSchema(KnoxAccountEnvelope, envelope);
    assertGolden('knox-certificate-smime.json', envelope);
  });

  it('never carries a password and always refuses untrusted server certificates', () => {
    for (const envelope of [renderKnoxAccount(knoxPasswordProfile, jane, passwordRefs), renderKnoxAccount(knoxCertificateProfile, jane, knoxRefs)]) {
      assert.deepEqual(allKeys(envelope).filter((key) => /password/i.test(key)), []);
      assert.equal(envelope.account.acceptAllCertificates, false);
    }
  });

  it('splits a sAM account name login into easUser and easDomain', () => {
    const { account } = renderKnoxAccount(knoxPasswordProfile, jane, passwordRefs);
    assert.equal(account.easUser, 'jdoe');
    assert.equal(account.easDomain, 'CONTOSO');
    assert.equal(account.emailAddress, 'Jane.Doe@contoso.com');
  });

  it('sends an empty easDomain when the login has no domain', () => {
    const { account } = renderKnoxAccount(knoxCertificateProfile, jane, knoxRefs);
    assert.equal(account.easUser, 'jane.doe@contoso.com');
    assert.equal(account.easDomain, '');
  });

  it('maps the amount of email to sync to AOSP sync window codes, with 6 for unlimited', () => {
    const expected = { oneDay: 1, threeDays: 2, oneWeek: 3, twoWeeks: 4, oneMonth: 5, unlimited: 6 } as const;
    for (const [duration, code] of Object.entries(expected)) {
      const { account } = renderKnoxAccount({ ...knoxPasswordProfile, durationOfEmailToSync: duration as keyof typeof expected }, jane, passwordRefs);
      assert.equal(account.syncLookback, code, duration);
    }
  });

  it('leaves the sync window out when the amount of email to sync is user defined', () => {
    const { account } = renderKnoxAccount({ ...knoxPasswordProfile, durationOfEmailToSync: 'userDefined' }, jane, passwordRefs);
    assert.equal('syncLookback' in account, false);
  });

  it('applies one schedule to the peak, off-peak and roaming slots: -2 push, -1 manual, else minutes', () => {
    const expected = { asMessagesArrive: -2, manual: -1, fifteenMinutes: 15, thirtyMinutes: 30, sixtyMinutes: 60 } as const;
    for (const [schedule, value] of Object.entries(expected)) {
      const { account } = renderKnoxAccount({ ...knoxPasswordProfile, emailSyncSchedule: schedule as keyof typeof expected }, jane, passwordRefs);
      assert.deepEqual(
        [account.syncInterval, account.offPeak, account.roamingSchedule, account.peakDays, account.peakStartTime, account.peakEndTime],
        [value, value, value, 62, 480, 1020],
        schedule,
      );
    }
  });

  it('keeps the Knox schedule defaults when the schedule is user defined or based on usage', () => {
    for (const emailSyncSchedule of ['userDefined', 'basedOnMyUsage'] as const) {
      const { account } = renderKnoxAccount({ ...knoxPasswordProfile, emailSyncSchedule }, jane, passwordRefs);
      const scheduleKeys = ['syncInterval', 'offPeak', 'roamingSchedule', 'peakDays', 'peakStartTime', 'peakEndTime'];
      assert.deepEqual(scheduleKeys.filter((key) => key in account), [], emailSyncSchedule);
    }
  });

  it('passes content types to the account flags and to setDataSyncs, never syncing notes', () => {
    const envelope = renderKnoxAccount({ ...knoxPasswordProfile, syncCalendar: false, syncContacts: true, syncTasks: true }, jane, passwordRefs);
    assert.equal(envelope.account.syncCalendar, 0);
    assert.equal(envelope.account.syncContacts, 1);
    assert.deepEqual(envelope.dataSyncs, { calendar: false, contacts: true, tasks: true, notes: false });
  });

  it('references the delivered identity certificate by alias and storage for certificate authentication', () => {
    const { account } = renderKnoxAccount(knoxCertificateProfile, jane, knoxRefs);
    assert.equal(account.certificateAlias, 'envelope-identity-7d41');
    assert.equal(account.certificateStorageName, 'default');
  });

  it('ignores certificate references when the profile authenticates with a password', () => {
    const envelope = renderKnoxAccount(knoxPasswordProfile, jane, knoxRefs);
    assert.equal('certificateAlias' in envelope.account, false);
    assert.equal(envelope.smime, null);
  });

  it('throws a typed error when the user lacks the attribute the username source needs', () => {
    const user = { ...jane, onPremisesSamAccountName: null };
    assert.throws(
      () => renderKnoxAccount(knoxPasswordProfile, user, passwordRefs),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'onPremisesSamAccountName',
    );
  });

  it('throws a typed error when the user lacks the primary SMTP address the email source needs', () => {
    assert.throws(
      () => renderKnoxAccount(knoxPasswordProfile, { ...jane, mail: null }, passwordRefs),
      (error: unknown) => error instanceof MissingUserAttributeError && error.attribute === 'mail' && error.code === 'userAttributeMissing',
    );
  });

  it('refuses certificate authentication before the identity certificate is on the device', () => {
    rejectsWithCode(() => renderKnoxAccount(knoxCertificateProfile, jane, { ...knoxRefs, identityCertificate: undefined }), 'identityCertificateMissing');
  });

  it('refuses S/MIME before the signing certificate is on the device', () => {
    rejectsWithCode(
      () => renderKnoxAccount(knoxCertificateProfile, jane, { ...knoxRefs, smimeSigningCertificate: undefined }),
      'smimeSigningCertificateMissing',
    );
  });

  it('refuses derived credentials, which Knox cannot use', () => {
    rejectsWithCode(() => renderKnoxAccount({ ...knoxPasswordProfile, authenticationMethod: 'derivedCredential' }, jane, knoxRefs), 'authenticationMethodNotSupported');
  });

  it('refuses notes sync, which fails on Knox', () => {
    rejectsWithCode(() => renderKnoxAccount({ ...knoxPasswordProfile, syncNotes: true }, jane, passwordRefs), 'syncNotesNotSupported');
  });

  it('produces the same envelope for the same input', () => {
    assert.deepEqual(renderKnoxAccount(knoxCertificateProfile, jane, knoxRefs), renderKnoxAccount(knoxCertificateProfile, jane, knoxRefs));
  });
});

describe('KnoxAccountEnvelope schema', () => {
  it('rejects an account that carries a server password', () => {
    const envelope = renderKnoxAccount(knoxPasswordProfile, jane, passwordRefs);
    const tampered = { ...envelope, account: { ...envelope.account, serverPassword: 'hunter2' } };
    assert.throws(() => assertMatchesSchema(KnoxAccountEnvelope, tampered));
  });

  it('rejects an account that accepts all certificates', () => {
    const envelope = renderKnoxAccount(knoxPasswordProfile, jane, passwordRefs);
    const tampered = { ...envelope, account: { ...envelope.account, acceptAllCertificates: true } };
    assert.throws(() => assertMatchesSchema(KnoxAccountEnvelope, tampered));
  });
});
