import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, freePort, ROOT, runCommand, stopPid } from './support.ts';

const ENTRYPOINT = path.join(ROOT, 'inference-container/docker/entrypoint.sh');
const HEALTHCHECK = path.join(ROOT, 'inference-container/docker/healthcheck.mjs');
const healthcheck = (port: number) =>
  runCommand(process.execPath, [HEALTHCHECK], { env: { ...process.env, PORT: String(port), HEALTHCHECK_TIMEOUT_MS: '2000' } });

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the image entrypoint and health check, run outside Docker', () => {
  let service: ChildProcess | undefined;
  let port: number;
  let stderr = '';

  beforeAll(async () => {
    // The entrypoint runs the compiled service, as the image's build stage makes it.
    const build = await runCommand('pnpm', ['--filter', './inference-container', 'build'], { cwd: ROOT });
    if (build.code !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
    port = await freePort();
    // What the image runs after tini: the entrypoint, which execs node.
    service = spawn('/bin/sh', [ENTRYPOINT], {
      cwd: '/',
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        ORT_INTRA_OP_THREADS: '2',
        LANGUAGE_ID: 'off',
        BATCH_MAX_WAIT_MS: '4000',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    service.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  });
  afterAll(async () => stopPid(service, 'SIGKILL'));

  it('the compiled service loads the S3 client only through a dynamic import, for a bucket source', () => {
    const dist = path.join(ROOT, 'inference-container/dist');
    const files = fs.readdirSync(dist).filter((f) => f.endsWith('.js'));
    const withS3 = files.filter((f) => fs.readFileSync(path.join(dist, f), 'utf8').includes('@aws-sdk/client-s3'));
    expect(withS3).toHaveLength(1);
    const main = fs.readFileSync(path.join(dist, 'main.js'), 'utf8');
    // Reached from main.js only as import("./<chunk>"), never as a static import.
    expect(main).toContain(`import("./${withS3[0]}")`);
    expect(main).not.toMatch(new RegExp(`from\\s*"\\./${withS3[0]!.replace('.', '\\.')}"`));
  });

  it('health check exits non-zero while nothing answers', async () => {
    const r = await healthcheck(port);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^not ready:/);
  });

  it('health check exits non-zero on a 503 from /ready', async () => {
    const p = await freePort();
    const unready = spawn(
      process.execPath,
      ['-e', `require('node:http').createServer((q, s) => { s.statusCode = 503; s.end('{}'); }).listen(${p}, '127.0.0.1', () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise((r) => unready.stdout!.once('data', r));
      const r = await healthcheck(p);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('GET /ready answered 503');
    } finally {
      await stopPid(unready);
    }
  });

  it('the entrypoint replaces itself with node, and the health check passes once ready', async () => {
    await waitReady(`http://127.0.0.1:${port}`, service!);
    // After exec the shell's pid is node's: SIGTERM sent to it reaches the service.
    const cmdline = fs.readFileSync(`/proc/${service!.pid}/cmdline`, 'utf8').split('\0');
    expect(path.basename(cmdline[0]!)).toMatch(/^node/);
    expect(cmdline).toContain('dist/main.js');
    // No TypeScript loader in the process.
    expect(cmdline.join(' ')).not.toContain('tsx');
    expect((await healthcheck(port)).code).toBe(0);
  });

  it('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const url = `http://127.0.0.1:${port}`;
    // The request waits in the 4 s batching delay when the signal arrives (0.8 s after it was sent).
    const inFlight = fetch(`${url}/v1/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'The committee met on Tuesday to discuss the budget for the coming year and agreed on most items.' }),
    });
    await new Promise((r) => setTimeout(r, 800));
    const exit = exitOf(service!);
    process.kill(service!.pid!, 'SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { label: string } }).result.label).toMatch(/^(ai|human|uncertain)$/);
    expect(await exit).toBe(0);
    expect(stderr).toContain('shutting down');
    expect((await healthcheck(port)).code).toBe(1);
  });
});

describe('Dockerfile.inference', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile.inference'), 'utf8');
  const ignore = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  // Enough of .dockerignore's matching for the patterns this repository uses: globs, and `!`
  // exceptions where the last matching line wins.
  const ignored = (p: string) => {
    let out = false;
    for (const line of ignore) {
      const negate = line.startsWith('!');
      const pat = negate ? line.slice(1) : line;
      const re = new RegExp(
        `^${pat
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '\0')
          .replace(/\*/g, '[^/]*')
          .replace(/\0/g, '(?:.*/)?')}(?:/.*)?$`,
      );
      if (re.test(p)) out = !negate;
    }
    return out;
  };

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect(fs.existsSync(path.join(ROOT, src)), src).toBe(true);
      expect(ignored(src), src).toBe(false);
    }
    for (const needed of [
      'inference-container/models/tinylm-en-v1/model.onnx',
      'inference-container/detectors/tinylm-detector.json',
      'inference-container/docker/entrypoint.sh',
      'pnpm-lock.yaml',
    ]) {
      expect(ignored(needed), needed).toBe(false);
    }
    expect(ignored('inference-container/node_modules')).toBe(true);
    expect(ignored('web/src/main.tsx')).toBe(true);
    expect(ignored('inference-container/src/backends/artifact-registry.test.ts')).toBe(true);
    expect(ignored('registry/src/cli.ts')).toBe(false);
    expect(ignored('training/src/featurize.ts')).toBe(true);
  });

  it('has every workspace manifest the frozen lockfile needs', () => {
    const workspace = fs.readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
    const packages = [...workspace.matchAll(/^\s+- ([\w/.-]+)$/gm)].map((m) => m[1]!).filter((p) => fs.existsSync(path.join(ROOT, p, 'package.json')));
    for (const p of packages) expect(dockerfile, p).toContain(`COPY ${p}/package.json ${p}/`);
  });

  it('runs as a non-root user behind tini, with a health check and the CUDA variant behind TARGET', () => {
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "\/app\/inference-container\/docker\/entrypoint.sh"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "\/app\/inference-container\/docker\/healthcheck.mjs"\]$/m);
    expect(dockerfile).toMatch(/^ARG TARGET=cpu$/m);
    expect(dockerfile).toMatch(/^FROM runtime-\$\{TARGET\}$/m);
    expect(dockerfile).toMatch(
      /if \[ "\$TARGET" = "cuda" \]; then\s*\\\n\s+cd inference-container\/node_modules\/onnxruntime-node && node script\/install --onnxruntime-node-install=cuda12/,
    );
    expect(dockerfile).toMatch(/AS runtime-cuda[\s\S]*ENV ORT_EXECUTION_PROVIDERS=cuda/);
    expect(fs.readFileSync(ENTRYPOINT, 'utf8')).toMatch(/^exec node \$NODE_FLAGS dist\/main.js "\$@"$/m);
  });

  it('runs Node 24 LTS and compiled JavaScript built in its own stage', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM node AS build$/m);
    expect(dockerfile).toMatch(/^RUN pnpm --filter @detector\/inference-container build$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/inference-container\/dist inference-container\/dist$/m);
    // The runtime stage carries no TypeScript source.
    expect(dockerfile.split(/^FROM /m).at(-1)).not.toMatch(/^COPY (contract|inference-container)\/src /m);
  });
});
