import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, launch, ROOT, terminate, waitForUrl, wranglerDevArgs } from '../../scripts/stack/stack.ts';

/**
 * The real gateway under `wrangler dev` (workerd), in front of the given inference service, with
 * its embedded defaults (in-memory cache, limits and history), serving the page from `assetsDir`
 * exactly as it serves web/dist in production.
 */
export async function startGateway(
  inferenceUrl: string,
  assetsDir: string,
  vars: Record<string, string> = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detector-gateway-'));
  const [port, inspectorPort] = await Promise.all([freePort(), freePort()]);
  const envFile = path.join(dir, 'worker.env');
  const env = { ENVIRONMENT: 'local', INFERENCE_URLS: inferenceUrl, ...vars };
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const log = path.join(dir, 'gateway.log');
  const gateway = launch({
    name: 'gateway',
    command: process.execPath,
    args: wranglerDevArgs({
      port,
      inspectorPort,
      envFile,
      persistTo: path.join(dir, 'state'),
      // Its own build of the page: web/dist may be rebuilt by an install while the test runs.
      extra: ['--assets', assetsDir, '--log-level', 'warn'],
    }),
    env: { WRANGLER_SEND_METRICS: 'false', CI: '1' },
    cwd: ROOT,
    log,
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await terminate(gateway.pid);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForUrl(`${url}/health`, 120_000, 'gateway', log, gateway.pid);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
