import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { buildServices, type Services } from './services.ts';

// One set of services per isolate; the bindings do not change within an isolate's life.
let services: Promise<Services> | null = null;
const servicesFor = (env: Record<string, unknown>) => {
  services ??= (async () => buildServices(loadConfig(env)))().catch((err: unknown) => {
    services = null;
    throw err;
  });
  return services;
};

const app = createApp(servicesFor);

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Response | Promise<Response> {
    return Promise.resolve(app.fetch(request, env, ctx)).catch((err: unknown) => {
      const message = err instanceof ConfigError ? err.message : 'internal error';
      console.error(JSON.stringify({ level: 'error', msg: 'request failed before routing', error: String(err) }));
      return Response.json({ error: { code: 'internal', message } }, { status: 500 });
    });
  },

  /** Cron: drain the prediction spool into Postgres and probe the inference backends. */
  async scheduled(_event: ScheduledController, env: Record<string, unknown>, ctx: ExecutionContext): Promise<void> {
    const s = await servicesFor(env);
    const work = (async () => {
      let total = 0;
      // Bounded so one run cannot outlive the cron's CPU budget on a huge backlog.
      for (let i = 0; i < 20; i++) {
        const { flushed, remaining } = await s.predictionLog.flush(s.config.SPOOL_FLUSH_BATCH);
        total += flushed;
        if (flushed === 0 || remaining === 0) break;
      }
      const backends = await s.pool.checkAll();
      s.log.info('scheduled run', { spool_flushed: total, backends });
    })();
    ctx.waitUntil(work);
    await work;
  },
};
