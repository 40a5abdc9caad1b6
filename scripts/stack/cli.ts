/**
 * pnpm stack up|down|status, and pnpm dev (up, then down on Ctrl-C). status also reports a running
 * `pnpm start` (its URLs, from DATA_DIR/state.json).
 * The environment for tools and tests: .stack/env (shell syntax). STACK_INFERENCE_URL: use an
 * inference service that already runs elsewhere instead of starting one (STACK_INFERENCE_TOKEN: its
 * INFERENCE_TOKEN, if it has one).
 */
import path from 'node:path';
import { startState } from './start-state.ts';
import { alive, readState, ROOT, stackDown, stackUp } from './stack.ts';

const [command = 'status', ...rest] = process.argv.slice(2);
const dir = path.resolve(process.env.STACK_DIR ?? path.join(ROOT, '.stack'));

async function up(): Promise<void> {
  console.log('starting the local stack...');
  const started = Date.now();
  const state = await stackUp({
    dir,
    inferenceUrl: process.env.STACK_INFERENCE_URL || undefined,
    inferenceToken: process.env.STACK_INFERENCE_TOKEN || undefined,
  });
  console.log(
    `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; environment in ${path.relative(process.cwd(), path.join(dir, 'env')) || '.stack/env'}`,
  );
  for (const k of ['GATEWAY_URL', 'INFERENCE_URL', 'DATABASE_URL', 'REDIS_URL', 'SUPABASE_URL']) console.log(`  ${k}=${state.env[k]}`);
}

switch (command) {
  case 'up':
    await up();
    break;
  case 'down':
    await stackDown({ dir });
    break;
  case 'status': {
    const state = readState(dir);
    if (!state) console.log('no stack is running (pnpm stack up)');
    else {
      for (const k of ['GATEWAY_URL', 'INFERENCE_URL', 'SUPABASE_URL', 'UPSTASH_REDIS_REST_URL']) if (state.env[k]) console.log(`${k}=${state.env[k]}`);
      for (const c of state.components)
        console.log(`${c.name.padEnd(10)} pid ${c.pid} ${alive(c.pid) ? 'running' : 'stopped'}  log ${path.relative(ROOT, c.log)}`);
    }
    // pnpm start keeps its own record in its data folder.
    const dataDir = path.resolve(ROOT, process.env.DATA_DIR || '.data');
    const started = startState(dataDir);
    if (!started || !alive(started.pid)) console.log(`pnpm start is not running (from ${path.relative(ROOT, dataDir) || dataDir})`);
    else {
      console.log(`pnpm start (pid ${started.pid}, data in ${path.relative(ROOT, dataDir) || dataDir}):`);
      for (const k of ['GATEWAY_URL', 'INFERENCE_URL', 'SUPABASE_URL'] as const) if (started[k]) console.log(`${k}=${started[k]}`);
    }
    break;
  }
  case 'dev': {
    await up();
    console.log('Ctrl-C stops the stack.');
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await stackDown({ dir });
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
    setInterval(() => undefined, 1 << 30);
    break;
  }
  default:
    console.error(`usage: pnpm stack up|down|status (got ${[command, ...rest].join(' ')})`);
    process.exit(2);
}
