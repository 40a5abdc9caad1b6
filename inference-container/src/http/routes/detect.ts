import {
  ApiError,
  analyzeRequestSchema,
  analyzeRequestWarnings,
  checkBatchSize,
  detectRequestSchema,
  originalAlias,
  prepareText,
  resolveOriginalSelector,
  selectorAliasWarning,
  toAnalyzeResponse,
  type DetectItem,
  type DetectResult,
} from '@detector/contract';
import { Hono } from 'hono';
import { detectTexts } from '../../core/scoring.ts';
import { normalizeForDetection } from '../../core/normalize.ts';
import type { AppEnv } from '../app.ts';
import { parseBody } from '../parse-body.ts';

export const detectRoutes = new Hono<AppEnv>()
  .post('/v1/detect', async (c) => {
    const s = c.get('service');
    const { request: body, alias } = resolveOriginalSelector(await parseBody(c, detectRequestSchema));
    const detector = s.registry().select(body);
    const aliasWarnings = alias ? [selectorAliasWarning(alias)] : [];
    const withAlias = <R extends { warnings: DetectResult['warnings'] }>(r: R): R => ({ ...r, warnings: [...aliasWarnings, ...r.warnings] });
    const model = s.model(detector.pack.name);
    const limits = { maxTextChars: s.config.MAX_TEXT_CHARS, maxBatchTexts: s.config.MAX_BATCH_TEXTS };
    const opts = { profile: body.profile, sentences: body.sentences, maxFpr: body.max_fpr };

    if (body.text !== undefined) {
      const normalized = normalizeForDetection(prepareText(body.text, limits));
      const [result] = await detectTexts(s.featureSource(model), detector, s.language, [{ normalized }], opts);
      return c.json({ result: withAlias(result!) });
    }

    const texts = body.texts!;
    checkBatchSize(texts.length, limits.maxBatchTexts);
    // A bad item answers with its own error; the rest of the batch is still scored.
    const items: DetectItem[] = new Array(texts.length);
    const good: Array<{ index: number; normalized: ReturnType<typeof normalizeForDetection> }> = [];
    texts.forEach((t, index) => {
      try {
        good.push({ index, normalized: normalizeForDetection(prepareText(t, limits, index)) });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        items[index] = { index, error: { code: err.code, message: err.message } };
      }
    });
    if (good.length > 0) {
      const results = await detectTexts(s.featureSource(model), detector, s.language, good, opts);
      good.forEach((g, k) => (items[g.index] = { index: g.index, ...withAlias(results[k]!) }));
    }
    return c.json({ results: items });
  })
  .post('/analyze', async (c) => {
    const s = c.get('service');
    const body = await parseBody(c, analyzeRequestSchema);
    const alias = originalAlias(body);
    const detector = s.registry().select(alias ? { detector: alias.detector } : body);
    const model = s.model(detector.pack.name);
    const normalized = normalizeForDetection(prepareText(body.text, { maxTextChars: s.config.MAX_TEXT_CHARS, maxBatchTexts: 1 }));
    const [r] = await detectTexts(s.featureSource(model), detector, s.language, [{ normalized }], { profile: 'balanced', sentences: false });
    return c.json(toAnalyzeResponse(r!, analyzeRequestWarnings(body, alias)));
  })
  .get('/v1/detectors', (c) => {
    const reg = c.get('service').registry();
    return c.json({
      data: reg.list().map((d) => ({
        name: d.name,
        version: d.version,
        default: d.name === reg.defaultName,
        description: d.description,
        model: d.pack.name,
        head: d.head.type,
        thresholds: d.thresholds,
        min_tokens: d.min_tokens,
        aliases: d.aliases,
        metrics: d.provenance.metrics,
      })),
    });
  });
