/**
 * `pnpm start` as a newcomer uses it: a fresh data folder, a key made while it runs, a call with
 * that key, a stop by pid and a second start that still has the history and the usage; settings
 * from the environment; a bad setting or a busy port refused before anything starts; and every
 * curl example in the README run verbatim against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminate } from '../../scripts/stack/stack.ts';
import { freePort, ROOT, runCommand } from './support.ts';

const START = ['--import', 'tsx', path.join(ROOT, 'scripts/stack/start.ts')];
// A key in STATIC_API_KEYS' documented form, `key:tier:owner[:scope|scope]`.
const STATIC_KEY = 'dk_live_startstat1_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const STATIC_OWNER = '7c1f3b9e-2d4a-4e8b-9f60-1a2b3c4d5e6f';

interface Started {
  child: ChildProcess;
  gateway: string;
  output: () => string;
}

/** Starts `pnpm start`'s script in its own process group and waits for its ready line. */
async function startProduct(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, START, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /ready: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`pnpm start exited (${code}) before it was ready:\n${out.slice(-4000)}`));
    });
  });
  return { child, gateway: ready, output: () => out };
}

async function stopProduct(s: Started | undefined): Promise<void> {
  if (s?.child.pid && s.child.exitCode === null) await terminate(s.child.pid, 30_000);
}

/** Runs the start script expecting it to refuse; returns its exit code and what it printed. */
async function refusedStart(env: Record<string, string>) {
  return runCommand(process.execPath, START, { env: { ...process.env, ...env } });
}

const pnpm = (args: string[], env: Record<string, string>) => runCommand('pnpm', args, { env: { ...process.env, ...env } });

async function getJson(url: string, key: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: { 'x-api-key': key } });
  return { status: res.status, body: await res.json() };
}

describe('pnpm start refuses bad settings and busy ports before starting anything', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'start-refuse-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each(['GATEWAY_PORT', 'INFERENCE_PORT'])('a busy %s gives one line naming the port and the variable', async (variable) => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const other = variable === 'GATEWAY_PORT' ? 'INFERENCE_PORT' : 'GATEWAY_PORT';
      const r = await refusedStart({ DATA_DIR: dataDir, [variable]: String(port), [other]: String(await freePort()) });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port} is already in use`);
      expect(lines[0]).toContain(`set ${variable}`);
    } finally {
      busy.close();
    }
  });

  it.each([
    ['STATIC_API_KEYS', 'not-a-key', /STATIC_API_KEYS: entry 1 of 1/],
    ['RATE_FREE_PER_MINUTE', '-3', /RATE_FREE_PER_MINUTE/],
    ['GATEWAY_PORT', 'eighty', /GATEWAY_PORT/],
  ])('a bad %s stops start-up with a message naming it', async (name, value, message) => {
    const r = await refusedStart({ DATA_DIR: dataDir, GATEWAY_PORT: String(await freePort()), INFERENCE_PORT: String(await freePort()), [name]: value });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    // The message names the setting; a key, being a secret, is never echoed back.
    if (name === 'STATIC_API_KEYS') expect(r.stderr).not.toContain(value);
    expect(existsSync(path.join(dataDir, 'pg'))).toBe(false);
  });
});

describe('pnpm start end to end, with a restart', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'start-data-'));
  let running: Started | undefined;
  let key = '';
  let firstId = '';

  afterAll(async () => {
    await stopProduct(running);
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    running = await startProduct({
      DATA_DIR: dataDir,
      GATEWAY_PORT: String(await freePort()),
      INFERENCE_PORT: String(await freePort()),
      STATIC_API_KEYS: `${STATIC_KEY}:pro:${STATIC_OWNER}:detect|history`,
    });
  }, 300_000);

  it('settings from the environment reach the gateway (a STATIC_API_KEYS key works)', async () => {
    const r = await getJson(`${running!.gateway}/v1/usage`, STATIC_KEY);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tier: 'pro' });
  });

  it('`pnpm stack status` prints the URLs', async () => {
    const r = await pnpm(['-s', 'stack', 'status'], { DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`GATEWAY_URL=${running!.gateway}`);
    expect(r.stdout).toMatch(/INFERENCE_URL=http:\/\/127\.0\.0\.1:\d+/);
  });

  it('a key made with `pnpm keys create` works at once, and the call is in the history', async () => {
    const made = await pnpm(['-s', 'keys', 'create', '--tier', 'free'], { DATA_DIR: dataDir });
    expect(made.code, made.stderr).toBe(0);
    key = made.stdout.trim();
    expect(key).toMatch(/^dk_live_[a-z0-9]{10}_[A-Za-z0-9]{32}$/);
    const text = 'A first call made with a key created while the product runs.';
    const curl = await runCommand('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${running!.gateway}/v1/detect`,
      '-H',
      `x-api-key: ${key}`,
      '-H',
      'content-type: application/json',
      '-d',
      JSON.stringify({ text }),
    ]);
    expect(curl.stdout).toBe('200');
    // The prediction log is written after the answer; poll until it is there.
    let rows: any[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      rows = (await getJson(`${running!.gateway}/v1/predictions`, key)).body.data;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows).toHaveLength(1);
    firstId = rows[0].request_id;
    expect(rows[0]).toMatchObject({ route: '/v1/detect', text_length: text.length });
  });

  it('stopped by pid and started again, the history, the usage and the key are still there', async () => {
    await stopProduct(running);
    expect(existsSync(path.join(dataDir, 'state.json'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'env'))).toBe(false);
    running = await startProduct({ DATA_DIR: dataDir, GATEWAY_PORT: String(await freePort()), INFERENCE_PORT: String(await freePort()) });
    expect(running.output()).not.toMatch(/database: applied/);
    const history = await getJson(`${running.gateway}/v1/predictions`, key);
    expect(history.status).toBe(200);
    expect(history.body.data.map((r: { request_id: string }) => r.request_id)).toEqual([firstId]);
    const usage = await getJson(`${running.gateway}/v1/usage`, key);
    expect(usage.status).toBe(200);
    expect(usage.body.days.reduce((n: number, d: { requests: number }) => n + d.requests, 0)).toBe(1);
    // Not given this time: STATIC_API_KEYS came from the first start's environment only.
    expect((await getJson(`${running.gateway}/v1/usage`, STATIC_KEY)).status).toBe(401);
  }, 400_000);

  it('every curl example in the README answers 200, run verbatim', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /\bcurl\s/.test(b));
    expect(blocks.length).toBeGreaterThan(0);
    const port = new URL(running!.gateway).port;
    for (const block of blocks) {
      // Only the address changes: the examples use the default port, this run a free one. They
      // run from the checkout, as a reader would (`pnpm keys`, docs/examples/report.pdf).
      const script = block.replaceAll('localhost:8787', `127.0.0.1:${port}`);
      const calls = (script.match(/^\s*curl /gm) ?? []).length;
      // Each curl also prints its status, so every call is checked, not only the last.
      const harness = `set -eo pipefail\ncurl() { command curl --write-out '\\nHTTP_STATUS %{http_code}\\n' "$@"; }\n${script}`;
      const r = await runCommand('bash', ['-c', harness], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } });
      expect(r.code, `${block}\n${r.stderr}\n${r.stdout}`).toBe(0);
      const statuses = [...r.stdout.matchAll(/HTTP_STATUS (\d+)/g)].map((m) => m[1]);
      expect(statuses, `${block}\n${r.stdout}`).toEqual(Array(calls).fill('200'));
    }
  });
});
