import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import type { Queryable } from '../../src/store/db.ts';
import type { Reply, TestApp } from './test-app.ts';

/**
 * Sends `text` verbatim as an application/json body (for JSON that JavaScript objects cannot carry
 * through JSON.stringify unchanged: lone surrogate escapes, prototype-named keys, extreme nesting).
 * `token: null` sends no Authorization header.
 */
export async function sendJsonText(t: TestApp, method: InjectOptions['method'], url: string, text: string | undefined, token: string | null = t.adminToken): Promise<Reply> {
  const raw = await t.envelope.app.inject({
    method,
    url,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(text === undefined ? {} : { payload: text }),
  });
  let body: unknown = raw.body;
  if ((raw.headers['content-type'] ?? '').toString().includes('json') && raw.body) body = JSON.parse(raw.body);
  return { status: raw.statusCode, body, raw };
}

/** Asserts a Graph error body: `{"error":{"code","message","target"?}}` with nothing else, and the given status/code/target. */
export function assertGraphError(reply: Reply, expected: { status: number; code?: string; target?: string | RegExp }): void {
  const context = `${reply.status} ${typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)}`;
  assert.equal(reply.status, expected.status, context);
  assert.match(String(reply.raw.headers['content-type']), /^application\/json/, context);
  assert.deepEqual(Object.keys(reply.body), ['error'], context);
  const { code, message, target, ...rest } = reply.body.error;
  assert.deepEqual(rest, {}, context);
  assert.equal(typeof code, 'string', context);
  assert.ok(typeof message === 'string' && message.length > 0, context);
  if (expected.code !== undefined) assert.equal(code, expected.code, context);
  if (expected.target instanceof RegExp) assert.match(String(target), expected.target, context);
  else if (expected.target !== undefined) assert.equal(target, expected.target, context);
}

/**
 * A fingerprint of every row of every table of the current schema (count and md5 of the rows as
 * text), for asserting that a refused request wrote nothing anywhere. The audit trail records
 * refused writes too (decision 0022): of `audit_events` only the successful events count.
 */
export async function snapshotTables(db: Queryable): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const snapshot: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.query<{ n: number; h: string }>(
      // A token's last use is authentication's bookkeeping (refused requests authenticate too), not a
      // change; refused writes are audited (ClientError rows) and are not changes either.
      `SELECT count(*)::int AS n, md5(coalesce(string_agg((to_jsonb(t) - 'last_used_at')::text, '|' ORDER BY (to_jsonb(t) - 'last_used_at')::text), '')) AS h
         FROM "${name.replace(/"/g, '""')}" t
       ${name === 'audit_events' ? "WHERE t.activity_result = 'Success'" : ''}`,
    );
    snapshot[name] = `${row!.n}:${row!.h}`;
  }
  return snapshot;
}
