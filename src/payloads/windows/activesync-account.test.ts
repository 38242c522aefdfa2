import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountLocUri, accountNodeName, activeSyncRootFor, activeSyncRoots, windowsAccountRef } from './activesync-account.ts';

describe('activeSyncRootFor', () => {
  it('uses the user-scoped path on Windows and the legacy path only on Windows Phone 8.1', () => {
    assert.equal(activeSyncRootFor('Windows'), './User/Vendor/MSFT/ActiveSync');
    assert.equal(activeSyncRootFor('WindowsPhone'), './Vendor/MSFT/ActiveSync');
  });
});

describe('accountNodeName', () => {
  it('puts a GUID in braces and upper case whether or not it came with braces', () => {
    assert.equal(accountNodeName('0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f'), '{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}');
    assert.equal(accountNodeName('{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}'), '{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}');
  });

  it('refuses a value that is not a GUID', () => {
    assert.throws(() => accountNodeName('not-a-guid'), TypeError);
    assert.throws(() => accountNodeName('{0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f}/x'), TypeError);
  });
});

describe('accountLocUri', () => {
  const account = windowsAccountRef(activeSyncRoots.user, '0f6b3e1d-2c4a-4b7e-9d8f-1a2b3c4d5e6f');

  it('addresses the account node with URL-encoded braces', () => {
    assert.equal(accountLocUri(account), './User/Vendor/MSFT/ActiveSync/Accounts/%7B0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F%7D');
  });

  it('encodes the braces of content-type GUIDs in leaf paths too', () => {
    assert.equal(
      accountLocUri(account, 'Options/ContentTypes/{c6d47067-6e92-480e-b0fc-4ba82182fac7}/Enabled'),
      './User/Vendor/MSFT/ActiveSync/Accounts/%7B0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F%7D/Options/ContentTypes/%7Bc6d47067-6e92-480e-b0fc-4ba82182fac7%7D/Enabled',
    );
  });
});
