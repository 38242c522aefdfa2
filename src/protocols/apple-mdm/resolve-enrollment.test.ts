import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveEnrollment, sharedIpadUserId } from './resolve-enrollment.ts';

describe('resolveEnrollment', () => {
  it('identifies a device-enrolled device by its UDID', () => {
    assert.deepEqual(resolveEnrollment({ UDID: 'u' }), { type: 'Device', deviceChannelId: 'u', id: 'u' });
  });

  it('identifies a User Enrollment by its EnrollmentID, and prefers the UDID when both are sent', () => {
    assert.deepEqual(resolveEnrollment({ EnrollmentID: 'e' }), { type: 'User Enrollment (Device)', deviceChannelId: 'e', id: 'e' });
    assert.equal(resolveEnrollment({ UDID: 'u', EnrollmentID: 'e' })?.id, 'u');
  });

  it('gives user channels their own id under the device', () => {
    assert.deepEqual(resolveEnrollment({ UDID: 'u', UserID: 'user' }), { type: 'User', deviceChannelId: 'u', userChannelId: 'user', id: 'u:user' });
    assert.deepEqual(resolveEnrollment({ EnrollmentID: 'e', EnrollmentUserID: 'eu' }), { type: 'User Enrollment', deviceChannelId: 'e', userChannelId: 'eu', id: 'e:eu' });
  });

  it('tells Shared iPad users apart by UserShortName, since their UserID is fixed', () => {
    assert.deepEqual(resolveEnrollment({ UDID: 'u', UserID: sharedIpadUserId, UserShortName: 'ann@example.com' }), {
      type: 'Shared iPad',
      deviceChannelId: 'u',
      userChannelId: 'ann@example.com',
      id: 'u:ann@example.com',
    });
    assert.equal(resolveEnrollment({ UDID: 'u', UserID: sharedIpadUserId }), undefined);
  });

  it('resolves nothing without a UDID or EnrollmentID', () => {
    assert.equal(resolveEnrollment({}), undefined);
    assert.equal(resolveEnrollment({ UDID: '', UserID: 'user' }), undefined);
  });
});
