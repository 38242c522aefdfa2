// The fleet benchmark's ceiling: a bare Fastify over HTTPS with the same TLS certificate, answering
// every device-shaped PUT with an empty 200 (what an idle MDM poll gets), nothing else. Run as a
// child process by bench/fleet.ts: `ENVELOPE_TLS_CERT=… ENVELOPE_TLS_KEY=… node bench/hello-server.ts`;
// prints `listening on <port>`.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const app = Fastify({
  logger: false,
  https: { cert: readFileSync(process.env.ENVELOPE_TLS_CERT!), key: readFileSync(process.env.ENVELOPE_TLS_KEY!) },
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.put('/mdm/apple/server', async (_request, reply) => reply.status(200).send());
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening on ${(app.server.address() as { port: number }).port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
