import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, freePort, ROOT, runCommand, stopPid } from './support.ts';

/**
 * Replays Dockerfile.inference without Docker: the deps stage's COPY lines and its
 * `pnpm install` (offline, from the store this checkout's install filled), then the final
 * stage's COPY lines, into a folder laid out like /app; then starts the entrypoint there.
 * This catches a production install that lacks something the service needs at run time.
 */
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile.inference'), 'utf8').replace(/\\\n\s*/g, ' ');
const stages = dockerfile.split(/^FROM /m);
const stage = (re: RegExp) => stages.find((s) => re.test(s.split('\n')[0]!))!;
const copies = (text: string) =>
  [...text.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => {
    const parts = m[1]!.trim().split(/\s+/);
    return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
  });

function copyInto(app: string, sources: string[], dest: string): void {
  for (const src of sources) {
    const target = dest.endsWith('/') ? path.join(app, dest, path.basename(src)) : path.join(app, dest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.cpSync(path.join(ROOT, src), target, { recursive: true });
  }
}

describe('the image, replayed outside Docker', () => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'image-app-'));
  let service: ChildProcess | undefined;
  afterAll(async () => {
    await stopPid(service, 'SIGKILL');
    fs.rmSync(app, { recursive: true, force: true });
  });

  beforeAll(async () => {
    const deps = stage(/ AS deps$/);
    for (const c of copies(deps)) copyInto(app, c.sources, c.dest);
    const install = /pnpm install [^\n]+/.exec(deps)![0].trim().split(/\s+/);
    const r = await runCommand('pnpm', [...install.slice(1), '--offline'], { cwd: app, env: { ...process.env, CI: 'true' } });
    if (r.code !== 0) throw new Error(`${install.join(' ')} failed: ${r.stderr}${r.stdout}`);
    const final = stages.at(-1)!;
    for (const c of copies(final)) copyInto(app, c.sources, c.dest);
    // The build stage's output: its build command run on this checkout, then copied as the final
    // stage copies it (/app/<path> there is <path> here).
    const build = /^RUN (pnpm [^\n]+ build)$/m.exec(stage(/ AS build$/))![1]!.split(/\s+/);
    const built = await runCommand(build[0]!, build.slice(1), { cwd: ROOT });
    if (built.code !== 0) throw new Error(`${build.join(' ')} failed: ${built.stderr}${built.stdout}`);
    const fromBuild = [...final.matchAll(/^COPY --from=build \/app\/(\S+) (\S+)$/gm)];
    expect(fromBuild.length).toBeGreaterThan(0);
    for (const m of fromBuild) copyInto(app, [m[1]!], m[2]!);
  });

  it('installs production dependencies only', () => {
    expect(fs.existsSync(path.join(app, 'inference-container/node_modules/onnxruntime-node'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'inference-container/dist/main.js'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'inference-container/node_modules/esbuild'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'inference-container/node_modules/s3rver'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules/vitest'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'edge/node_modules'))).toBe(false);
  });

  it('starts from the entrypoint, serves a detection, passes the health check and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      INFERENCE_TOKEN: 'image-install-test-token-'.repeat(2),
      ORT_INTRA_OP_THREADS: '2',
      LANGUAGE_ID: 'off',
      LOG_LEVEL: 'warn',
    };
    service = spawn('/bin/sh', [path.join(app, 'inference-container/docker/entrypoint.sh')], { cwd: '/', env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    service.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const health = () =>
      runCommand(process.execPath, [path.join(app, 'inference-container/docker/healthcheck.mjs')], { env: { ...env, HEALTHCHECK_TIMEOUT_MS: '2000' } });
    while ((await health()).code !== 0) {
      if (service.exitCode !== null) throw new Error(`service exited ${service.exitCode}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Served from the copied tree, not from this checkout.
    expect(fs.readlinkSync(`/proc/${service.pid}/cwd`)).toBe(path.join(app, 'inference-container'));
    // The image runs as production: the gateway's token is required (and the health check needs none).
    const unauthenticated = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(unauthenticated.status).toBe(401);
    const res = await fetch(`http://127.0.0.1:${port}/v1/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.INFERENCE_TOKEN}` },
      body: JSON.stringify({ text: 'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { detector: { name: string } } }).result.detector.name).toBe('tinylm-detector');
    const exit = exitOf(service);
    process.kill(service.pid!, 'SIGTERM');
    expect(await exit).toBe(0);
  });
});
