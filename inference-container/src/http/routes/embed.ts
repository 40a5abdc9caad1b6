import { embedRequestSchema } from '@detector/contract';
import { Hono } from 'hono';
import { prepareTexts } from '@detector/contract';
import type { AppEnv } from '../app.ts';
import { parseBody } from '../parse-body.ts';

export const embeddingRoutes = new Hono<AppEnv>().post('/v1/embed', async (c) => {
  const s = c.get('service');
  const body = await parseBody(c, embedRequestSchema);
  const model = s.model(body.model);
  const [layer] = s.resolveLayers(model, [body.layer]);
  const texts = prepareTexts(body.texts, { maxTextChars: s.config.MAX_TEXT_CHARS, maxBatchTexts: s.config.MAX_BATCH_TEXTS });
  const feats = await s.features(model, texts, { layers: [layer!], pooling: body.pooling, normalize: body.normalize, logprob: false, perToken: false });
  return c.json({
    model: model.pack.name,
    layer: layer!,
    pooling: body.pooling,
    normalized: body.normalize,
    dimensions: model.pack.manifest.hidden_size,
    embeddings: feats.map((f) => Array.from(f.embeddings.get(layer!)!)),
    windows: feats.map((f) => f.windows),
    usage: { tokens: feats.reduce((n, f) => n + f.tokens, 0) },
  });
});
