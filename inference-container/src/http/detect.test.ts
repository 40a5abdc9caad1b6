import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAnalyzeResponseSchema } from '@detector/contract';
import { BUNDLED_DETECTOR, BUNDLED_DETECTORS_DIR } from '../config.ts';
import { DetectorRegistry } from '../core/detector-catalogue.ts';
import type { InferenceService } from '../core/service.ts';
import { startTestService, type JsonResponse } from '../test-support.ts';
import { createApp } from './app.ts';

let service: InferenceService;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  service = await startTestService({ MAX_BATCH_TEXTS: '8' });
  app = createApp(service);
});
afterAll(async () => service.stop());

const post = (p: string, body: unknown) =>
  app.request(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) as Promise<JsonResponse>;

const ESSAY =
  'Public libraries remain one of the most valuable institutions in modern society. They provide free access to books, ' +
  'digital resources, and educational programs for people of all ages and backgrounds. In addition, libraries serve as ' +
  'community hubs where individuals can attend workshops, use computers, and connect with others. Furthermore, they play ' +
  'a crucial role in promoting literacy and lifelong learning. In conclusion, investing in public libraries is essential ' +
  'for building informed and engaged communities.';

describe('POST /v1/detect', () => {
  it('answers one text with a calibrated verdict and the detector that gave it', async () => {
    const res = await post('/v1/detect', { text: ESSAY });
    expect(res.status).toBe(200);
    const { result } = await res.json();
    const d = service.registry().select({});
    expect(['ai', 'human', 'uncertain']).toContain(result.label);
    expect(result.probability).toBeGreaterThanOrEqual(0);
    expect(result.probability).toBeLessThanOrEqual(1);
    // The stated rate is the strict level's, measured for texts of this one's length.
    const point = d.local_calibration!.operating_points.find((p) => p.level === d.local_calibration!.strict_level)!;
    const band = point.bands.find((b) => b.min_tokens === result.length_band.min_tokens)!;
    expect(result).toMatchObject({ profile: 'strict', fpr: band.human >= 100 && band.fpr !== null ? band.fpr : point.fpr });
    expect(Number.isFinite(result.threshold)).toBe(true);
    expect(result.detector).toEqual({ name: d.name, version: d.version, model: 'tinylm-en-v1' });
    expect(result.windows).toHaveLength(1);
    expect(result.sentences).toBeUndefined();
    expect(result.warnings).toEqual([]);
  });

  it('labels by the profile: ai from its threshold, human only below the human threshold, uncertain between', async () => {
    const { result } = await (await post('/v1/detect', { text: ESSAY, profile: 'balanced' })).json();
    const rule = (r: { score: number; threshold: number; human_threshold: number }) =>
      r.score >= r.threshold ? 'ai' : r.score < r.human_threshold ? 'human' : 'uncertain';
    expect(result.label).toBe(rule(result));
    const strict = (await (await post('/v1/detect', { text: ESSAY })).json()).result;
    // The text's thresholds come from its neighbours: strict's is the higher, the human one is shared.
    expect(strict.threshold).toBeGreaterThanOrEqual(result.threshold);
    expect(strict.human_threshold).toBe(result.human_threshold);
    expect(strict.human_threshold).toBeLessThanOrEqual(result.threshold);
    expect(strict.label).toBe(rule(strict));
    expect(typeof strict.miss_rate).toBe('number');
  });

  it('gives a text and the same text with its layout changed the same verdict, with spans in the text as given', async () => {
    const sentences = ESSAY.split('. ');
    const laidOut = `  ${sentences.slice(0, 2).join('.\n\n')}.\n\n${sentences.slice(2).join('.   \n')}\n`;
    const a = (await (await post('/v1/detect', { text: ESSAY, sentences: true })).json()).result;
    const b = (await (await post('/v1/detect', { text: laidOut, sentences: true })).json()).result;
    expect(b.score).toBe(a.score);
    expect(b.label).toBe(a.label);
    expect(b.normalized_text).toBeUndefined();
    const texts = b.sentences.map((s: { char_start: number; char_end: number }) => laidOut.slice(s.char_start, s.char_end));
    expect(texts[0]).toBe(`${sentences[0]}.`);
    expect(texts.at(-1)).toBe(sentences.at(-1));
  });

  it('sets the threshold at a rate the caller chooses with max_fpr, stating the measured rate', async () => {
    const loose = (await (await post('/v1/detect', { text: ESSAY, max_fpr: 0.2 })).json()).result;
    const tight = (await (await post('/v1/detect', { text: ESSAY, max_fpr: 0.005 })).json()).result;
    expect(loose.threshold).toBeLessThanOrEqual(tight.threshold);
    expect(loose.max_fpr).toBe(0.2);
    const d = service.registry().select({});
    const points = d.local_calibration!.operating_points;
    const expected = points.find((p) => p.fpr <= 0.2)!;
    expect(points.length).toBeGreaterThan(3);
    // The stated rate is the measured one of the point picked, for the text's length band where measured.
    expect(loose.fpr).toBeLessThanOrEqual(Math.max(expected.fpr, ...expected.bands.map((b) => b.fpr ?? 0)));
    const bad = await post('/v1/detect', { text: ESSAY, max_fpr: 0.5 });
    expect(bad.status).toBe(400);
  });

  it('abstains on writing unlike anything calibrated with out_of_distribution', async () => {
    // A log excerpt: digits, brackets and no sentences, far from every human reference.
    const text = Array.from(
      { length: 30 },
      (_, i) => `[2026-11-27 10:${String(i).padStart(2, '0')}:07] GET /api/v2/items/${1000 + i * 37}?page=${i} 200 ${17 + i}ms`,
    ).join('\n');
    const { result } = await (await post('/v1/detect', { text })).json();
    expect(result.label).toBe('uncertain');
    expect(result.warnings.map((w: { code: string }) => w.code)).toContain('out_of_distribution');
  });

  it('scores sentences with character offsets into the text', async () => {
    const { result } = await (await post('/v1/detect', { text: ESSAY, sentences: true })).json();
    expect(result.sentences.length).toBe(5);
    expect(ESSAY.slice(result.sentences[0].char_start, result.sentences[0].char_end)).toBe(
      'Public libraries remain one of the most valuable institutions in modern society.',
    );
    for (const s of result.sentences) {
      expect(s.char_end).toBeGreaterThan(s.char_start);
      expect(s.probability).toBeGreaterThanOrEqual(0);
    }
    // Scored in context, the sentences' values average to the text's own score.
    const mean = result.sentences.reduce((a: number, s: { score: number }) => a + s.score, 0) / result.sentences.length;
    expect(mean).toBeCloseTo(result.score, 6);
  });

  it('abstains on a short text with too_short', async () => {
    const { result } = await (await post('/v1/detect', { text: 'Thanks, see you tomorrow at the station.' })).json();
    expect(result.label).toBe('uncertain');
    expect(result.warnings.map((w: { code: string }) => w.code)).toContain('too_short');
  });

  it('abstains on text that is not English with unsupported_language', async () => {
    const french =
      "La bibliothèque municipale reste l'une des institutions les plus précieuses de notre société. Elle offre un accès " +
      'gratuit aux livres, aux ressources numériques et aux programmes éducatifs pour les personnes de tous âges. ' +
      'De plus, elle sert de lieu de rencontre où chacun peut assister à des ateliers et utiliser des ordinateurs.';
    const { result } = await (await post('/v1/detect', { text: french })).json();
    expect(result.label).toBe('uncertain');
    expect(result.warnings.map((w: { code: string }) => w.code)).toContain('unsupported_language');
  });

  it('removes evasion characters, says so, and scores the text as if they were absent', async () => {
    const evasive = ESSAY.replace(/ the /g, ' t\u200Bh\u0435 ').replace(/libraries/g, 'libr\u0430ries');
    const clean = (await (await post('/v1/detect', { text: ESSAY })).json()).result;
    const { result } = await (await post('/v1/detect', { text: evasive })).json();
    expect(result.warnings.map((w: { code: string }) => w.code)).toContain('normalized_evasion');
    expect(result.normalized_text).toBe(ESSAY);
    expect(result.score).toBeCloseTo(clean.score, 6);
  });

  it('reads a long text in windows and scores each window', async () => {
    const long = Array.from({ length: 12 }, () => ESSAY).join('\n\n');
    const { result } = await (await post('/v1/detect', { text: long })).json();
    expect(result.tokens).toBeGreaterThan(512);
    expect(result.windows.length).toBeGreaterThan(1);
    expect(result.windows.at(-1).char_end).toBe(long.length);
    for (const w of result.windows) expect(typeof w.score).toBe('number');
    expect(result.warnings.map((w: { code: string }) => w.code)).toContain('long_text_windows');
  });

  it('scores a batch and answers a bad item with its own error', async () => {
    const res = await post('/v1/detect', { texts: [ESSAY, '   ', ESSAY.slice(0, 300)] });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ index: 0 });
    expect(results[0].label).toBeDefined();
    expect(results[1]).toEqual({ index: 1, error: { code: 'empty_text', message: expect.any(String) } });
    expect(results[2].index).toBe(2);
    const single = (await (await post('/v1/detect', { text: ESSAY })).json()).result;
    expect(results[0].score).toBeCloseTo(single.score, 5);
  });

  it('selects a detector by the original design fields', async () => {
    const d = service.registry().select({});
    const ok = await post('/v1/detect', { text: ESSAY, model_name: 'tinylm-en-v1', classifier_type: d.head.type });
    expect(ok.status).toBe(200);
    // Negative layers count from the end: -1 is layer 8 here, the layer the legacy aliases name.
    for (const layer of [8, -1]) {
      const res = await post('/v1/detect', { text: ESSAY, model_name: 'tinylm-en-v1', layer, classifier_type: d.head.type });
      expect(res.status, `layer ${layer}`).toBe(200);
      expect((await res.json()).result.detector.name).toBe(d.name);
    }
    const outOfRange = await post('/analyze', { text: ESSAY, layer: -10 });
    expect(outOfRange.status).toBe(400);
    expect((await outOfRange.json()).error.code).toBe('unknown_layer');
    const missing = await post('/v1/detect', { text: ESSAY, model_name: 'Qwen/Qwen2.5-7B', layer: 22, classifier_type: 'svm' });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('unknown_detector');
  });

  it('answers the original selector through the alias table, as /analyze does', async () => {
    const res = await post('/v1/detect', { text: ESSAY, model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm' });
    expect(res.status).toBe(200);
    const { result } = await res.json();
    expect(result.detector.name).toBe(BUNDLED_DETECTOR);
    expect(result.warnings.map((w: { code: string }) => w.code)).toContain('selector_alias');
    const batch = await post('/v1/detect', { texts: [ESSAY, ''], classifier_type: 'lr' });
    expect(batch.status).toBe(200);
    const { results } = await batch.json();
    expect(results[0].warnings.map((w: { code: string }) => w.code)).toContain('selector_alias');
    expect(results[1].error.code).toBe('empty_text');
  });

  it('answers 413 text_too_large_for_deadline, not a Retry-After, for a text the budget can never cover', async () => {
    await post('/v1/detect', { text: ESSAY }); // the queue has measured the model's speed
    const res = (await app.request('/v1/detect', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-budget-ms': '50' },
      body: JSON.stringify({ text: ESSAY.repeat(200).slice(0, 100_000) }),
    })) as JsonResponse;
    expect(res.status).toBe(413);
    expect(res.headers.get('retry-after')).toBeNull();
    expect((await res.json()).error.code).toBe('text_too_large_for_deadline');
  });

  it.each([
    ['both text and texts', { text: 'a', texts: ['b'] }, 400, 'invalid_request'],
    ['neither text nor texts', { profile: 'strict' }, 400, 'invalid_request'],
    ['an unknown profile', { text: ESSAY, profile: 'lenient' }, 400, 'invalid_request'],
    ['an unknown detector', { text: ESSAY, detector: 'nope' }, 404, 'unknown_detector'],
    ['an empty text', { text: '' }, 400, 'empty_text'],
    ['a batch over the limit', { texts: Array(9).fill(ESSAY) }, 413, 'batch_too_large'],
  ])('answers %s with its code', async (_n, body, status, code) => {
    const res = await post('/v1/detect', body);
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
  });
});

describe('POST /analyze', () => {
  it('answers the original shape, consistent with the balanced profile', async () => {
    const res = await post('/analyze', { text: ESSAY, model_name: 'tinylm-en-v1' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['confidence', 'detector', 'is_fake', 'label', 'prediction', 'probability', 'warnings']);
    expect(serviceAnalyzeResponseSchema.strict().parse(body)).toEqual(body);
    const { result } = await (await post('/v1/detect', { text: ESSAY, profile: 'balanced' })).json();
    expect(body.label).toBe(result.label);
    expect(body.is_fake).toBe(result.label === 'ai');
    expect(body.prediction).toBe(body.is_fake ? 1 : 0);
    expect(body.probability).toBeCloseTo(result.probability, 9);
    expect(body.detector).toEqual(result.detector);
  });

  it('answers the original defaults and svm/lr through the alias table, saying which detector ran', async () => {
    for (const classifier_type of ['svm', 'lr']) {
      const res = await post('/analyze', { text: ESSAY, model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type, pooling: 'mean', dataset_name: 'hc3' });
      expect(res.status, classifier_type).toBe(200);
      const body = await res.json();
      expect(body.detector.name).toBe(BUNDLED_DETECTOR);
      expect(body.warnings.map((w: { code: string }) => w.code)).toEqual(expect.arrayContaining(['selector_alias', 'ignored_field']));
    }
  });

  it('reports an abstention as uncertain, never as a confident human verdict', async () => {
    const body = await (await post('/analyze', { text: 'This is a test sentence.' })).json();
    expect(body).toMatchObject({ label: 'uncertain', prediction: 0, is_fake: false, confidence: 0 });
    expect(body.warnings.map((w: { code: string }) => w.code)).toContain('too_short');
  });

  it('answers bad input with a 4xx code', async () => {
    const res = await post('/analyze', { text: 42 });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
  });
});

describe('GET /v1/detectors', () => {
  it('lists the bundled detector with its thresholds and metrics', async () => {
    const { data } = await (await (app.request('/v1/detectors') as Promise<JsonResponse>)).json();
    const d = data.find((x: { name: string }) => x.name === BUNDLED_DETECTOR);
    expect(d).toMatchObject({ default: true, model: 'tinylm-en-v1' });
    expect(d.thresholds.strict.target_fpr).toBe(0.01);
  });
});

describe('detector files', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'detectors-'));
  });
  afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));

  const bundled = async () => JSON.parse(await fs.readFile(path.join(BUNDLED_DETECTORS_DIR, `${BUNDLED_DETECTOR}.json`), 'utf8'));
  const shas = () => new Map([['tinylm-en-v1', service.model().pack.manifest.model_sha256]]);

  it('refuses a detector whose weights do not match its features', async () => {
    const d = await bundled();
    d.head.weights = d.head.weights?.slice(1) ?? [];
    d.head.w1 = d.head.w1?.slice(1);
    await fs.writeFile(path.join(tmp, 'bad.json'), JSON.stringify({ ...d, name: 'bad' }));
    await expect(DetectorRegistry.load(tmp, 'bad', shas())).rejects.toThrow(/bad.json/);
    await fs.rm(path.join(tmp, 'bad.json'));
  });

  it('refuses a detector trained on other weights of the same pack name', async () => {
    const d = await bundled();
    await fs.writeFile(path.join(tmp, 'other.json'), JSON.stringify({ ...d, name: 'other', pack: { ...d.pack, sha256: 'a'.repeat(64) } }));
    await expect(DetectorRegistry.load(tmp, 'other', shas())).rejects.toThrow(/sha256/);
  });
});
