import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not become ready');
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
});

describe('the service process', () => {
  it('starts, answers, and finishes in-flight work on SIGTERM before exiting 0', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORT_INTRA_OP_THREADS: '2', BATCH_MAX_WAIT_MS: '300', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, child);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    // The request sits in the batching delay when the signal arrives; it must still be answered.
    const inFlight = fetch(`${url}/v1/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: ['still answered'] }),
    });
    await new Promise((r) => setTimeout(r, 100));
    const exit = exited(child);
    process.kill(child.pid!, 'SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { embeddings: unknown[] }).embeddings).toHaveLength(1);
    expect(await exit).toBe(0);
  });

  it('keeps answering health checks while the model computes', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      // One model call for the whole request, so no gap between batches could answer /health.
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORT_INTRA_OP_THREADS: '2', LOG_LEVEL: 'warn', BATCH_MAX_TOKENS: '65536' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, child);
    const order: string[] = [];
    const long = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} is about ships, harbours, weather and the cost of rope.`).join(' ');
    const work = fetch(`${url}/v1/features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: [long, long, long] }),
    }).then(() => order.push('features'));
    await new Promise((r) => setTimeout(r, 50));
    // The model runs on its own thread, so the HTTP server is free to answer meanwhile.
    await fetch(`${url}/health`).then(() => order.push('health'));
    await work;
    expect(order).toEqual(['health', 'features']);
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('fails fast on invalid configuration', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'not-a-port' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    expect(await exited(child)).not.toBe(0);
    expect(stderr).toContain('PORT');
  });
});
