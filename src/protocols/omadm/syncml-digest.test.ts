import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSyncMlMd5Digest, syncMlMd5Digest } from './syncml-digest.ts';

describe('SyncML MD5 (DIGEST) credential', () => {
  it('is b64(MD5(b64(MD5(name:secret)):nonce)) over the raw nonce bytes, as computed step by step here', () => {
    const nonce = Buffer.from('Nonce', 'ascii');
    // Step by step: MD5("Bruce2:OhBehave") → base64, then MD5("<that>:" + nonce bytes) → base64.
    const inner = createHash('md5').update('Bruce2:OhBehave').digest();
    assert.equal(inner.toString('base64'), 'PtEdr8lBQ45IbT1bZIkrOQ==');
    const outer = createHash('md5').update(Buffer.concat([Buffer.from('PtEdr8lBQ45IbT1bZIkrOQ==:'), nonce])).digest('base64');
    assert.equal(outer, 'Zz6EivR3yeaaENcRN6lpAQ==');
    assert.equal(syncMlMd5Digest('Bruce2', 'OhBehave', nonce), 'Zz6EivR3yeaaENcRN6lpAQ==');
  });

  it('uses the binary nonce, not its base64 text, and UTF-8 for name and secret', () => {
    const nonce = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    const expected = createHash('md5').update(Buffer.concat([Buffer.from(`${createHash('md5').update('pc-1:sécret', 'utf8').digest('base64')}:`), nonce])).digest('base64');
    assert.equal(syncMlMd5Digest('pc-1', 'sécret', nonce), expected);
    assert.notEqual(syncMlMd5Digest('pc-1', 'sécret', Buffer.from(nonce.toString('base64'))), expected);
  });

  it('verifies the right credential only', () => {
    const nonce = Buffer.from('Nonce');
    assert.equal(isSyncMlMd5Digest('Zz6EivR3yeaaENcRN6lpAQ==', 'Bruce2', 'OhBehave', nonce), true);
    assert.equal(isSyncMlMd5Digest(' Zz6EivR3yeaaENcRN6lpAQ==\n', 'Bruce2', 'OhBehave', nonce), true);
    assert.equal(isSyncMlMd5Digest('Zz6EivR3yeaaENcRN6lpAQ==', 'Bruce2', 'OhBehave', Buffer.from('Stale')), false);
    assert.equal(isSyncMlMd5Digest('Zz6EivR3yeaaENcRN6lpAQ==', 'Bruce2', 'wrong', nonce), false);
    assert.equal(isSyncMlMd5Digest('', 'Bruce2', 'OhBehave', nonce), false);
    assert.equal(isSyncMlMd5Digest('not base64 at all', 'Bruce2', 'OhBehave', nonce), false);
  });
});
