/**
 * The benchmark's yardstick: a bare Hono Worker under the same `wrangler dev`, forwarding
 * POST /v1/detect to the inference service with nothing around it, and answering POST /static
 * with a fixed detection answer (what a cached answer costs with no stores at all).
 */
import { Hono } from 'hono';

type Env = { Bindings: { INFERENCE_URL: string; INFERENCE_TOKEN?: string } };

const STATIC = JSON.stringify({
  result: {
    label: 'human',
    probability: 0.12,
    score: 0.3,
    profile: 'strict',
    threshold: 0.4,
    fpr: 0.01,
    detector: { name: 'static', version: '1.0.0', model: 'none' },
    tokens: 60,
    windows: [],
    warnings: [],
  },
  cached: true,
});

const app = new Hono<Env>();
app.post('/v1/detect', async (c) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (c.env.INFERENCE_TOKEN) headers.authorization = `Bearer ${c.env.INFERENCE_TOKEN}`;
  const res = await fetch(`${c.env.INFERENCE_URL}/v1/detect`, { method: 'POST', headers, body: await c.req.text() });
  return new Response(res.body, { status: res.status, headers: { 'content-type': 'application/json' } });
});
app.post('/static', async (c) => {
  await c.req.text();
  return c.body(STATIC, 200, { 'content-type': 'application/json' });
});
app.get('/health', (c) => c.json({ status: 'ok' }));

export default app;
