import { Hono } from 'hono';
import type { AppEnv } from '../app.ts';

export const opsRoutes = new Hono<AppEnv>()
  .get('/health', (c) => c.json({ status: 'ok' }))
  .get('/ready', (c) => {
    const s = c.get('service');
    return s.ready ? c.json({ status: 'ready', ready_after_ms: s.readyAfterMs }) : c.json({ status: 'loading' }, 503);
  })
  .get('/metrics', async (c) => {
    const s = c.get('service');
    for (const [name, m] of s.models) s.metrics.queueDepth.set({ model: name }, m.queue.depth);
    return c.text(await s.metrics.registry.metrics(), 200, { 'content-type': s.metrics.registry.contentType });
  })
  .get('/v1/models', (c) => {
    const s = c.get('service');
    const data = [...s.models.values()].map(({ pack }) => ({
      name: pack.name,
      default: pack.name === s.defaultModel,
      hidden_size: pack.manifest.hidden_size,
      layers: pack.manifest.layers_in_outputs,
      max_tokens: pack.manifest.max_sequence_length,
      vocab_size: pack.manifest.vocab_size,
      sha256: pack.manifest.model_sha256,
    }));
    return c.json({ data });
  });
