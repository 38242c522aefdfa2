import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createEnvelope, loggerOptions, type Envelope } from '../../src/main.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

describe('request logs of enrollment links', () => {
  const lines: string[] = [];
  let envelope: Envelope;
  let testDb: TestDb;

  before(async () => {
    testDb = await openTestDb();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    envelope = await createEnvelope({ db: testDb.db, secretKey: randomBytes(32), adminToken: null, logger: { ...(loggerOptions('info') as object), stream: sink }, publicUrl: 'https://envelope.test' });
  });
  after(async () => {
    await envelope.app.close();
    await testDb.dispose();
  });

  it('carry the path but never the token, whatever the answer', async () => {
    const token = `enr_${randomBytes(32).toString('base64url')}`;
    const reply = await envelope.app.inject({ method: 'GET', url: `/mdm/apple/enroll?token=${token}` });
    assert.equal(reply.statusCode, 403);
    const entries = lines.map((line) => JSON.parse(line) as { req?: { url?: string } });
    assert.ok(entries.some((entry) => entry.req?.url === '/mdm/apple/enroll?token=[redacted]'), lines.join('\n'));
    assert.equal(lines.join('\n').includes(token), false);
  });
});
