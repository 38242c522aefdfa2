import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { consolePages } from '../../console/src/pages.ts';

/** Where `npm install` (postinstall: `vite build`) writes the console; git-ignored. */
export const defaultConsoleDir = fileURLToPath(new URL('../../console/dist/', import.meta.url));

// Fluent UI (Griffel) inserts its styles at run time, hence 'unsafe-inline' for styles only.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const missingBuildPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Envelope console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>The Envelope console is not built</h1>
<p>Envelope serves its admin console from <code>console/dist</code>, which <code>npm install</code> builds
(<code>npm run build:console</code> builds it again). It is missing on this server.</p>
<p>The admin API works without it: <a href="/docs">/docs</a> describes it.</p>
</body></html>
`;

/**
 * The admin console (console/, a Vite build of React + Fluent UI) at `/`: its hashed assets under
 * `/assets/` cached for a year, and `index.html` (never cached) for `/` and each client route the
 * console has (console/src/pages.ts). The routes are explicit, so they can never shadow the API,
 * device or documentation routes (Fastify refuses a duplicate route at start-up), and any other
 * path keeps the Graph-shaped 404. Without a build, the same routes answer a page that says so.
 */
export async function registerConsoleRoutes(app: FastifyInstance, consoleDir: string = defaultConsoleDir): Promise<void> {
  const root = path.resolve(consoleDir);
  await app.register(fastifyStatic, { root, serve: false, index: false });
  const built = () => existsSync(path.join(root, 'index.html'));

  const sendIndex = (reply: FastifyReply) => {
    reply.header('content-security-policy', contentSecurityPolicy).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!built()) return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(missingBuildPage);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };

  const hidden = { schema: { hide: true } };
  app.get('/', hidden, async (_request, reply) => sendIndex(reply));
  for (const page of consolePages) {
    app.get(`/${page}`, hidden, async (_request, reply) => sendIndex(reply));
    app.get(`/${page}/*`, hidden, async (_request, reply) => sendIndex(reply));
  }
  // The company portal (decision 0031): its own page; the secret stays in the URL fragment, never sent here.
  app.get('/portal', hidden, async (_request, reply) => {
    reply.header('content-security-policy', contentSecurityPolicy).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!existsSync(path.join(root, 'portal.html'))) return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(missingBuildPage);
    return reply.header('cache-control', 'no-cache').sendFile('portal.html', { cacheControl: false });
  });
  app.get('/assets/*', hidden, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    // Vite names every asset by its content hash: a changed file is a new URL.
    reply.header('x-content-type-options', 'nosniff');
    return reply.sendFile(path.posix.join('assets', file), { immutable: true, maxAge: '365d', dotfiles: 'deny' });
  });
}
