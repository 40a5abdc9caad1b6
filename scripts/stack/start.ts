/**
 * pnpm start: the inference service and the gateway (wrangler dev on http://localhost:8787) with
 * the embedded defaults (in-memory cache, limits and recent predictions; no Redis, no Postgres).
 * Ctrl-C stops both; if either exits, the other is stopped too.
 */
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT, terminate } from './stack.ts';

const inferencePort = process.env.INFERENCE_PORT ?? '8081';
const gatewayPort = process.env.GATEWAY_PORT ?? '8787';

const children: ChildProcess[] = [];
let stopping = false;

function start(name: string, command: string, args: string[], env: Record<string, string>): ChildProcess {
  // Own process group, so stopping wrangler also stops its workerd.
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit', detached: true });
  child.on('exit', (code) => {
    if (stopping) return;
    console.error(`${name} exited (${code ?? 'signal'}); stopping the rest`);
    void stop(code ?? 1);
  });
  children.push(child);
  return child;
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((c) => (c.pid ? terminate(c.pid) : Promise.resolve())));
  process.exit(code);
}

process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

start('inference', process.execPath, ['--import', 'tsx', path.join(ROOT, 'inference-container/src/main.ts')], {
  HOST: process.env.HOST ?? '127.0.0.1',
  PORT: inferencePort,
});
start(
  'gateway',
  process.execPath,
  [
    path.join(ROOT, 'edge/node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '--config', path.join(ROOT, 'wrangler.toml'),
    '--port', gatewayPort,
    '--ip', '127.0.0.1',
    '--var', `INFERENCE_URLS:http://127.0.0.1:${inferencePort}`,
    // No pepper, no inference token, in-memory stores: allowed only when the gateway is told it is local.
    '--var', 'ENVIRONMENT:local',
    '--show-interactive-dev-session=false',
  ],
  { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
);
