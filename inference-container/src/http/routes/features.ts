import { featuresRequestSchema } from '@detector/contract';
import { Hono } from 'hono';
import { prepareTexts } from '@detector/contract';
import type { AppEnv } from '../app.ts';
import { parseBody } from '../parse-body.ts';

export const featureRoutes = new Hono<AppEnv>().post('/v1/features', async (c) => {
  const s = c.get('service');
  const body = await parseBody(c, featuresRequestSchema);
  const model = s.model(body.model);
  const layers = s.resolveLayers(model, body.layers);
  const texts = prepareTexts(body.texts, { maxTextChars: s.config.MAX_TEXT_CHARS, maxBatchTexts: s.config.MAX_BATCH_TEXTS });
  const feats = await s.features(model, texts, {
    layers,
    pooling: body.pooling,
    normalize: body.normalize,
    logprob: body.logprob,
    perToken: body.per_token,
  });
  return c.json({
    model: model.pack.name,
    pooling: body.pooling,
    normalized: body.normalize,
    results: feats.map((f) => ({
      tokens: f.tokens,
      windows: f.windows,
      embeddings: Object.fromEntries([...f.embeddings].map(([l, v]) => [String(l), Array.from(v)])),
      ...(f.logprob ? { logprob: f.logprob } : {}),
      ...(f.perToken ? { per_token: f.perToken } : {}),
    })),
    usage: { tokens: feats.reduce((n, f) => n + f.tokens, 0) },
  });
});
