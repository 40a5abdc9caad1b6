import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceService } from '../core/service.ts';
import { startTestService, type JsonResponse } from '../test-support.ts';
import { createApp } from './app.ts';

/**
 * The example answers in the README and docs/inference-service.md are real answers of the bundled
 * detector for docs/examples/essay.txt, so a retrained detector cannot leave them stale:
 * `UPDATE_DOCS=1 pnpm vitest run inference-container/src/http/documented-examples.test.ts`
 * rewrites them from the service's answer.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const DOCS = [path.join(ROOT, 'README.md'), path.join(ROOT, 'docs', 'inference-service.md')];
const BLOCK = /(A detection result[^\n]*:\n\n```json\n)([\s\S]*?)(\n```)/;

let service: InferenceService;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  service = await startTestService();
  app = createApp(service);
});
afterAll(async () => service.stop());

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** The documented, abridged form of an answer: the fields a reader compares, rounded as shown. */
function abridged(r: Record<string, any>, sentences: boolean) {
  const span = (s: Record<string, number>) => ({ ...s, score: round(s.score!, 2), probability: round(s.probability!, 2) });
  return {
    label: r.label,
    probability: round(r.probability, 2),
    score: round(r.score, 2),
    profile: r.profile,
    threshold: round(r.threshold, 2),
    human_threshold: r.human_threshold === null ? null : round(r.human_threshold, 2),
    fpr: round(r.fpr, 4),
    miss_rate: r.miss_rate === null ? null : round(r.miss_rate, 4),
    length_band: r.length_band,
    detector: r.detector,
    tokens: r.tokens,
    windows: sentences ? r.windows.map(span) : [],
    sentences: sentences ? r.sentences.slice(0, 1).map(span) : [],
    warnings: r.warnings,
  };
}

const pretty = (v: unknown) =>
  JSON.stringify(v, null, 2)
    // One line per span and per small object, as the docs show them.
    .replace(/\{\n\s+("(?:token_start|char_start|min_tokens|name)"[^{}]*?)\n\s+\}/g, (_, body: string) => `{ ${body.replace(/\n\s+/g, ' ')} }`)
    .replace(/\[\n\s+(\{[^[\]]*\})\n\s+\]/g, '[$1]');

describe('documented example answers', () => {
  it('match what the service answers for docs/examples/essay.txt', async () => {
    const text = await fs.readFile(path.join(ROOT, 'docs', 'examples', 'essay.txt'), 'utf8');
    const res = (await app.request('/v1/detect', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, sentences: true }),
    })) as JsonResponse;
    const { result } = await res.json();
    for (const file of DOCS) {
      const doc = await fs.readFile(file, 'utf8');
      const m = BLOCK.exec(doc);
      expect(m, `${path.basename(file)} has a documented answer`).not.toBeNull();
      const sentences = file.endsWith('inference-service.md');
      const want = pretty(abridged(result, sentences));
      if (process.env.UPDATE_DOCS === '1') await fs.writeFile(file, doc.replace(BLOCK, `$1${want}$3`));
      else expect(JSON.parse(m![2]!), `${path.basename(file)}: rerun with UPDATE_DOCS=1`).toEqual(JSON.parse(want));
    }
  });
});
