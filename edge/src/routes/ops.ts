import { Hono } from 'hono';
import { constantTimeEqual, sha256Hex } from '../auth/api-key.ts';
import type { AppEnv } from '../http/env.ts';
import type { Services } from '../services.ts';
import { withTimeout } from '../timeout.ts';

async function reachable(p: () => Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(p(), ms, 'readiness check');
    return true;
  } catch {
    return false;
  }
}

type StoreState = 'ok' | 'unreachable' | 'memory';
interface Readiness {
  ready: boolean;
  backends: Array<{ url: string; ready: boolean }>;
  redis: StoreState;
  database: StoreState;
}

async function checkReadiness(s: Services): Promise<Readiness> {
  const ms = s.config.HEALTH_TIMEOUT_MS;
  const [backends, redis, database] = await Promise.all([
    s.pool.checkAll(),
    s.redis ? reachable(() => s.redis!.ping(), ms).then((ok): StoreState => (ok ? 'ok' : 'unreachable')) : ('memory' as const),
    s.supabase
      ? reachable(async () => {
          const { error } = await s.supabase!.from('detectors').select('name').limit(1);
          if (error) throw new Error(error.message);
        }, ms).then((ok): StoreState => (ok ? 'ok' : 'unreachable'))
      : ('memory' as const),
  ]);
  return { ready: backends.some((b) => b.ready), backends, redis, database };
}

// Per isolate: a flood of keyless /ready calls costs one round of probes per READY_CACHE_MS,
// and concurrent calls share the round in flight.
const recent = new WeakMap<Services, { until: number; readiness: Promise<Readiness> }>();

function cachedReadiness(s: Services): Promise<Readiness> {
  const hit = recent.get(s);
  if (hit && Date.now() < hit.until) return hit.readiness;
  const readiness = checkReadiness(s);
  recent.set(s, { until: Date.now() + s.config.READY_CACHE_MS, readiness });
  // A round that failed outright is not kept.
  readiness.catch(() => recent.delete(s));
  return readiness;
}

/** Whether the caller presented OPERATOR_TOKEN; digests compared so the time taken says nothing about the token. */
async function isOperator(s: Services, authorization: string | undefined): Promise<boolean> {
  const token = s.config.OPERATOR_TOKEN;
  const given = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token || !given) return false;
  return constantTimeEqual(await sha256Hex(given), await sha256Hex(token));
}

export const opsRoutes = new Hono<AppEnv>()
  .get('/health', (c) => c.json({ status: 'ok' }))
  /**
   * Ready when at least one inference backend is; the stores are reported, not required. Only an
   * operator sees which backends and stores (internal addresses), and gets a fresh probe.
   */
  .get('/ready', async (c) => {
    const s = c.get('services');
    const operator = await isOperator(s, c.req.header('authorization'));
    const r = operator ? await checkReadiness(s) : await cachedReadiness(s);
    if (!r.ready) c.header('Retry-After', String(Math.ceil(s.config.BREAKER_COOLDOWN_MS / 1000)));
    const status = r.ready ? 'ready' : 'unavailable';
    const body = operator ? { status, backends: r.backends, redis: r.redis, database: r.database } : { status };
    return c.json(body, r.ready ? 200 : 503);
  });
