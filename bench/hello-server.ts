// The fleet benchmark's ceiling: a bare Fastify with the same TLS certificate, answering every
// device-shaped PUT with an empty 200 (what an idle MDM poll gets) and a JSON POST to /hello with `{}`
// (what an agent's empty fetch gets), nothing else. Run as a child process by bench/fleet.ts and
// bench/ceiling.ts: `ENVELOPE_TLS_CERT=… ENVELOPE_TLS_KEY=… node bench/hello-server.ts` (plain HTTP
// without them); prints `listening on <port>`.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const tls = process.env.ENVELOPE_TLS_CERT && process.env.ENVELOPE_TLS_KEY
  ? { https: { cert: readFileSync(process.env.ENVELOPE_TLS_CERT), key: readFileSync(process.env.ENVELOPE_TLS_KEY) } }
  : {};
const app = Fastify({ logger: false, ...tls });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.put('/mdm/apple/server', async (_request, reply) => reply.status(200).send());
app.post('/hello', async (_request, reply) => reply.status(200).send({}));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening on ${(app.server.address() as { port: number }).port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
