import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { withTimeout } from '../timeout.ts';

async function reachable(p: () => Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(p(), ms, 'readiness check');
    return true;
  } catch {
    return false;
  }
}

export const opsRoutes = new Hono<AppEnv>()
  .get('/health', (c) => c.json({ status: 'ok' }))
  /** Ready when at least one inference backend is; the stores are reported, not required. */
  .get('/ready', async (c) => {
    const s = c.get('services');
    const backends = await s.pool.checkAll();
    const ms = s.config.HEALTH_TIMEOUT_MS;
    const redis = s.redis ? ((await reachable(() => s.redis!.ping(), ms)) ? 'ok' : 'unreachable') : 'memory';
    const database = s.supabase
      ? (await reachable(async () => {
          const { error } = await s.supabase!.from('detectors').select('name').limit(1);
          if (error) throw new Error(error.message);
        }, ms))
        ? 'ok'
        : 'unreachable'
      : 'memory';
    const ready = backends.some((b) => b.ready);
    if (!ready) c.header('Retry-After', String(Math.ceil(s.config.BREAKER_COOLDOWN_MS / 1000)));
    return c.json({ status: ready ? 'ready' : 'unavailable', backends, redis, database }, ready ? 200 : 503);
  });
