import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { buildServices, type Services } from './services.ts';

type Env = Record<string, unknown>;

/** The Worker: one set of services per isolate, built from the bindings on the first request. */
export function createWorker() {
  let services: Promise<Services> | null = null;
  const servicesFor = (env: Env) => {
    services ??= (async () => {
      try {
        return await buildServices(loadConfig(env));
      } catch (err) {
        if (err instanceof ConfigError) console.error(JSON.stringify({ level: 'error', msg: 'invalid configuration', error: err.message }));
        throw err;
      }
    })().catch((err: unknown) => {
      // Bindings do not change within an isolate's life, so a configuration error is kept and
      // answered (and logged) once; anything else is tried again on the next request.
      if (!(err instanceof ConfigError)) services = null;
      throw err;
    });
    return services;
  };

  const app = createApp(servicesFor);

  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
      return Promise.resolve(app.fetch(request, env, ctx)).catch((err: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: 'request failed before routing', error: String(err) }));
        const [code, message] = err instanceof ConfigError ? ['misconfigured', err.message] : ['internal', 'internal error'];
        return Response.json({ error: { code, message } }, { status: 500 });
      });
    },

    /** Cron: drain the prediction spool into Postgres and probe the inference backends. */
    async scheduled(_event: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
      const s = await servicesFor(env);
      const work = (async () => {
        let total = 0;
        let dead = 0;
        // Bounded so one run cannot outlive the cron's CPU budget on a huge backlog.
        for (let i = 0; i < 20; i++) {
          const { flushed, dead_lettered, remaining, locked } = await s.predictionLog.flush(s.config.SPOOL_FLUSH_BATCH);
          total += flushed;
          dead += dead_lettered;
          // An isolate is draining the spool right now: wait for it rather than skip this run.
          if (locked) {
            await new Promise((r) => setTimeout(r, 250));
            continue;
          }
          if (flushed === 0 || remaining === 0) break;
        }
        const backends = await s.pool.checkAll();
        (dead > 0 ? s.log.warn : s.log.info)('scheduled run', { spool_flushed: total, spool_dead_lettered: dead, backends });
      })();
      ctx.waitUntil(work);
      await work;
    },
  };
}

export default createWorker();
