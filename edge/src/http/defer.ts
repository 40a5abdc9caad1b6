import type { Context } from 'hono';
import type { AppEnv } from './env.ts';

/** Runs work after the answer is sent (waitUntil); never delays or fails the response. */
export function defer(c: Context<AppEnv>, work: Promise<unknown>): void {
  const safe = work.catch((err: unknown) => c.get('services').log.error('background work failed', { error: String(err) }));
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  if (ctx) {
    ctx.waitUntil(safe);
    return;
  }
  const pending = c.get('services').pending;
  const tracked = safe.finally(() => pending.delete(tracked));
  pending.add(tracked);
}
