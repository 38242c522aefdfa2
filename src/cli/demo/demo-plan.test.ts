import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDemo } from './demo-plan.ts';

describe('the demo plan', () => {
  it('splits 500 devices over the four platforms and 200 distinct users over four departments', () => {
    const plan = planDemo(200, 500);
    assert.deepEqual(plan.devices, { ios: 50, windows: 100, knox: 200, androidEnterprise: 150 });
    assert.equal(new Set(plan.users.map((u) => u.userPrincipalName)).size, 200);
    assert.deepEqual(new Set(plan.users.map((u) => u.department)), new Set(plan.departments));
    assert.deepEqual(plan.userMadeAccounts, { ios: 10, windows: 10 });
  });

  it('gives every platform a device as soon as there are four, and always at least one blocked iPhone', () => {
    for (const devices of [4, 5, 20, 37]) {
      const plan = planDemo(3, devices);
      const { ios, windows, knox, androidEnterprise } = plan.devices;
      assert.equal(ios + windows + knox + androidEnterprise, devices);
      assert.ok(ios >= 1 && windows >= 1 && knox >= 1 && androidEnterprise >= 1, JSON.stringify(plan.devices));
      assert.equal(plan.userMadeAccounts.ios >= 1, true);
    }
    assert.deepEqual(planDemo(1, 2).devices, { ios: 1, windows: 1, knox: 0, androidEnterprise: 0 });
  });

  it('keeps user principal names unique past the list of names', () => {
    const plan = planDemo(700, 10);
    assert.equal(new Set(plan.users.map((u) => u.userPrincipalName)).size, 700);
  });
});
