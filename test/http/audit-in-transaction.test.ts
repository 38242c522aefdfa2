import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const graph = '/graph/beta';

/**
 * Decision 0032: an audited write and its audit event are one transaction. Proven by structure —
 * triggers log the top-level transaction id (`txid_current()`) of every row written to users,
 * assignments and audit_events, and the change and its event share it — and by failures at each
 * point: in the handler, at the event's insert, and at COMMIT.
 */
describe('audit events in the write\'s transaction', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await t.envelope.db.exec(`CREATE TABLE test_tx_log (table_name text NOT NULL, row_id text, tx bigint NOT NULL);
      CREATE FUNCTION test_log_tx() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO test_tx_log VALUES (TG_TABLE_NAME, to_jsonb(NEW) ->> TG_ARGV[0], txid_current());
          RETURN NEW;
        END; $$;
      CREATE TRIGGER test_log_tx AFTER INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION test_log_tx('id');
      CREATE TRIGGER test_log_tx AFTER INSERT ON device_configuration_assignments FOR EACH ROW EXECUTE FUNCTION test_log_tx('configuration_id');
      CREATE TRIGGER test_log_tx AFTER INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_log_tx('correlation_id');`);
  });
  after(() => t.close());

  const eventsOf = async (correlationId: string) =>
    t.envelope.db.query<{ activity_result: string; resource_id: string | null; tx: string }>(
      `SELECT e.activity_result, e.resource_id, l.tx::text AS tx FROM audit_events e
       JOIN test_tx_log l ON l.table_name = 'audit_events' AND l.row_id = e.correlation_id::text WHERE e.correlation_id = $1`, [correlationId]);
  /** The transactions that last wrote the row (users by id, assignments by profile id). */
  const txOf = async (table: string, id: string) =>
    (await t.envelope.db.query<{ tx: string }>('SELECT tx::text AS tx FROM test_tx_log WHERE table_name = $1 AND row_id = $2', [table, id])).map((r) => r.tx);
  const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const correlationId = randomUUID();
    return t.request(method, url, { body, headers: { 'client-request-id': correlationId } }).then((reply) => ({ reply, correlationId }));
  };

  it('writes the event in the transaction that made the change (same transaction id), for creates, updates, actions and deletes', async () => {
    const created = await send('POST', `${graph}/users`, { displayName: 'Tx Ann', userPrincipalName: 'tx.ann@contoso.com' });
    assert.equal(created.reply.status, 201);
    const [event] = await eventsOf(created.correlationId);
    assert.equal(event!.activity_result, 'Success');
    assert.deepEqual(await txOf('users', created.reply.body.id), [event!.tx], 'the user and its Create event were written by one transaction');

    const patched = await send('PATCH', `${graph}/users/${created.reply.body.id}`, { displayName: 'Tx Ann B' });
    assert.equal(patched.reply.status, 204);
    assert.equal((await txOf('users', created.reply.body.id))[1], (await eventsOf(patched.correlationId))[0]!.tx);

    const group = (await t.request('POST', `${graph}/groups`, { body: { displayName: 'Tx group' } })).body;
    const profile = (await t.request('POST', `${graph}/deviceManagement/deviceConfigurations`, {
      body: { '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Tx mail', accountName: 'Contoso', hostName: 'mail.contoso.com', usernameSource: 'userPrincipalName', emailAddressSource: 'primarySmtpAddress' },
    })).body;
    const assigned = await send('POST', `${graph}/deviceManagement/deviceConfigurations/${profile.id}/assign`, {
      assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group.id } }],
    });
    assert.equal(assigned.reply.status, 200, JSON.stringify([assigned.reply.body, profile, group]));
    assert.deepEqual(await txOf('device_configuration_assignments', profile.id), [(await eventsOf(assigned.correlationId))[0]!.tx]);

    // A delete leaves no row to compare: the event exists, and the user is gone, together.
    const deleted = await send('DELETE', `${graph}/users/${created.reply.body.id}`);
    assert.equal(deleted.reply.status, 204);
    assert.deepEqual((await eventsOf(deleted.correlationId)).map((e) => e.activity_result), ['Success']);
  });

  it('a write refused in the handler leaves no change and no Success event; its refusal is recorded on its own', async () => {
    await t.request('POST', `${graph}/users`, { body: { displayName: 'Taken', userPrincipalName: 'taken@contoso.com' } });
    const users = await t.count('users');
    const duplicate = await send('POST', `${graph}/users`, { displayName: 'Taken again', userPrincipalName: 'taken@contoso.com' });
    assert.equal(duplicate.reply.status, 409);
    assert.equal(await t.count('users'), users);
    assert.deepEqual((await eventsOf(duplicate.correlationId)).map((e) => e.activity_result), ['ClientError']);
  });

  it('a write whose COMMIT fails is not answered as a success, and neither it nor its event stays', async () => {
    // A deferred constraint trigger fails at COMMIT, after the handler and the event's insert succeeded.
    await t.envelope.db.exec(`CREATE FUNCTION test_fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.display_name = 'Fails at commit' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NEW; END; $$;
      CREATE CONSTRAINT TRIGGER test_fail_at_commit AFTER INSERT ON users DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION test_fail_at_commit();`);
    try {
      const users = await t.count('users');
      const events = await t.count('audit_events');
      const failing = await send('POST', `${graph}/users`, { displayName: 'Fails at commit', userPrincipalName: 'commit@contoso.com' });
      assert.equal(failing.reply.status, 503, JSON.stringify(failing.reply.body));
      assert.equal(await t.count('users'), users);
      assert.equal(await t.count('audit_events'), events);
      assert.equal((await t.request('GET', `${graph}/users/commit@contoso.com`)).status, 404);
      // The same request without the failure commits, with its event.
      const ok = await send('POST', `${graph}/users`, { displayName: 'Commits', userPrincipalName: 'commit@contoso.com' });
      assert.equal(ok.reply.status, 201);
      assert.equal((await eventsOf(ok.correlationId)).length, 1);
    } finally {
      await t.envelope.db.exec('DROP TRIGGER test_fail_at_commit ON users; DROP FUNCTION test_fail_at_commit();');
    }
  });

  it('every committed write of a concurrent burst has exactly one event, from its own transaction', async () => {
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => send('POST', `${graph}/users`, { displayName: `Burst ${i}`, userPrincipalName: `burst${i}@contoso.com` })));
    for (const { reply, correlationId } of sent) {
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      const events = await eventsOf(correlationId);
      assert.deepEqual(events.map((e) => [e.resource_id, [e.tx]]), [[reply.body.id, await txOf('users', reply.body.id)]]);
    }
  });

  it('a $batch runs each write in its own transaction with its own event; a failed one leaves nothing', async () => {
    const users = await t.count('users');
    const reply = await t.request('POST', `${graph}/$batch`, {
      body: {
        requests: [
          { id: '1', method: 'POST', url: '/users', body: { displayName: 'Batch tx 1', userPrincipalName: 'btx1@contoso.com' } },
          { id: '2', method: 'POST', url: '/users', body: { displayName: 'Batch tx 2', userPrincipalName: 'btx1@contoso.com' } },
        ],
      },
    });
    assert.deepEqual(reply.body.responses.map((r: { status: number }) => r.status), [201, 409]);
    assert.equal(await t.count('users'), users + 1);
    const id = reply.body.responses[0].body.id;
    const [event] = await t.envelope.db.query<{ correlation_id: string }>("SELECT correlation_id FROM audit_events WHERE resource_id = $1 AND activity_result = 'Success'", [id]);
    assert.deepEqual(await txOf('users', id), (await eventsOf(event!.correlation_id)).map((e) => e.tx));
  });
});
