// Drops the databases a test run created on TEST_DATABASE_URL (`envelope_test_<runId>_*`).
// Usage: node test/helpers/drop-test-databases.ts RUN_ID
import pg from 'pg';

const runId = (process.argv[2] ?? '').replace(/[^a-z0-9]/gi, '').toLowerCase();
const serverUrl = process.env.TEST_DATABASE_URL;
if (!runId || !serverUrl) {
  console.error('usage: TEST_DATABASE_URL=… node test/helpers/drop-test-databases.ts RUN_ID');
  process.exit(2);
}
const client = new pg.Client({ connectionString: serverUrl });
await client.connect();
const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`envelope_test_${runId}_%`]);
for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
await client.end();
console.log(`dropped ${rows.length} leftover test database(s)`);
