import { serve } from '@hono/node-server';
import { loadConfig } from './config.ts';
import { createApp } from './http/app.ts';
import { createLogger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { InferenceService } from './core/service.ts';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
const service = new InferenceService(config, createMetrics(), log);
const app = createApp(service);

// Listen at once so /health answers while the model loads; /ready turns 200 when it is warm.
const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, (info) => {
  log.info('listening', { host: config.HOST, port: info.port });
});

service.start().then(
  () => {
    // Started with --expose-gc (the image's entrypoint): start-up's parse garbage goes now, while
    // nothing waits, rather than staying resident until some later collection.
    (globalThis as { gc?: () => void }).gc?.();
    log.info('ready', { ready_after_ms: Math.round(service.readyAfterMs ?? 0) });
  },
  (err: unknown) => {
    log.error('failed to start', { error: String(err) });
    process.exit(1);
  },
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('shutting down: finishing in-flight batches', { signal });
  // Stop accepting, let queued batches run, then wait until their answers have been written.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const force = setTimeout(() => {
    log.warn('shutdown grace period over; exiting with requests still open');
    process.exit(1);
  }, config.SHUTDOWN_GRACE_MS);
  await service.stop();
  await closed;
  clearTimeout(force);
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
