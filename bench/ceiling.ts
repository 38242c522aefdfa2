// A same-run ceiling for the Knox and Android Enterprise fleet benches: bench/hello-server.ts (a bare
// Fastify in a child process, over HTTPS with the bench's certificate or plain HTTP) under a closed
// loop of `concurrency` requests in flight from `request`, for `durationMs` after a warm-up.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LatencyWindow } from '../sim/ios/latency-window.ts';

const root = new URL('..', import.meta.url).pathname;

export interface Ceiling {
  requestsPerSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** `request(url)` sends one request to `url` (`<origin>/hello`) and resolves when answered; it throws on a non-2xx. */
export async function measureHelloCeiling(options: { tls: { cert: string; key: string } | null; request: (url: string) => Promise<void>; concurrency: number; durationMs: number }): Promise<Ceiling> {
  const hello = await startHelloServer(options.tls);
  try {
    const port = hello.port;
    const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/hello`;
    const latency = new LatencyWindow();
    let requests = 0;
    const run = async (ms: number) => {
      const end = performance.now() + ms;
      await Promise.all(Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < end) {
          const started = performance.now();
          await options.request(url);
          latency.record(performance.now() - started);
          requests++;
        }
      }));
    };
    await run(Math.min(1000, options.durationMs / 2));
    requests = 0;
    latency.take();
    const started = performance.now();
    await run(options.durationMs);
    const seconds = (performance.now() - started) / 1000;
    const { p50, p95 } = latency.take();
    return { requestsPerSecond: requests / seconds, p50Ms: p50, p95Ms: p95 };
  } finally {
    hello.stop();
  }
}

/** Starts bench/hello-server.ts in a child process (over HTTPS with `tls`, else HTTP); resolves with its port. */
export async function startHelloServer(tls: { cert: string; key: string } | null): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, [join(root, 'bench', 'hello-server.ts')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(tls ? { ENVELOPE_TLS_CERT: tls.cert, ENVELOPE_TLS_KEY: tls.key } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.on('exit', (code) => reject(new Error(`the ceiling server exited ${code}`)));
    });
    return { port, stop: () => child.kill('SIGTERM') };
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
}
