import { SingleBar, Presets } from 'cli-progress';
import { prepareText } from '@detector/contract';
import { normalizeForDetection } from '@detector/inference-container/core/normalize.ts';
import { layoutFree } from '@detector/detector-kit/layout.ts';
import type { InferenceService, LoadedModel } from '@detector/inference-container/core/service.ts';
import type { Example } from './dataset.ts';
import { cacheKey, fromTextFeatures, type CachedFeatures, type FeatureCache } from './feature-cache.ts';

export interface Featurized {
  example: Example;
  /** The text as the detector sees it. */
  text: string;
  features: CachedFeatures;
}

/**
 * Features for every example, from the cache where present; the rest are computed through the
 * same service code path that serving uses, in concurrent groups so the batching queue fills.
 */
export async function featurize(
  service: InferenceService,
  model: LoadedModel,
  cache: FeatureCache,
  examples: Example[],
  opts: { label?: string; progress?: boolean; concurrency?: number } = {},
): Promise<{ items: Featurized[]; skipped: Array<{ example: Example; reason: string }> }> {
  const m = model.pack.manifest;
  const allLayers = Array.from({ length: m.layers_in_outputs }, (_, i) => i);
  const items: Array<Featurized | null> = new Array(examples.length).fill(null);
  const skipped: Array<{ example: Example; reason: string }> = [];
  const bar =
    opts.progress === false
      ? null
      : new SingleBar(
          {
            format: `${opts.label ?? 'features'} [{bar}] {value}/{total} {percentage}% eta {eta_formatted} (cached {cached})`,
            stream: process.stderr,
            noTTYOutput: true,
            notTTYSchedule: 10_000,
          },
          Presets.shades_classic,
        );
  bar?.start(examples.length, 0, { cached: 0 });
  let cachedHits = 0;

  const todo: Array<{ i: number; text: string; key: string }> = [];
  for (let i = 0; i < examples.length; i++) {
    const ex = examples[i]!;
    let text: string;
    try {
      text = layoutFree(prepareText(normalizeForDetection(ex.text).text, { maxTextChars: service.config.MAX_TEXT_CHARS, maxBatchTexts: 1 })).text;
    } catch (err) {
      skipped.push({ example: ex, reason: (err as { code?: string }).code ?? String(err) });
      bar?.increment(1, { cached: cachedHits });
      continue;
    }
    const key = cacheKey(m.model_sha256, text);
    const hit = await cache.get(key);
    if (hit) {
      items[i] = { example: ex, text, features: hit };
      cachedHits++;
      bar?.increment(1, { cached: cachedHits });
    } else {
      todo.push({ i, text, key });
    }
  }

  const group = opts.concurrency ?? 16;
  for (let g = 0; g < todo.length; g += group) {
    const chunk = todo.slice(g, g + group);
    const feats = await service.features(
      model,
      chunk.map((c) => c.text),
      { layers: allLayers, pooling: 'mean', normalize: false, logprob: true, perToken: false },
    );
    await Promise.all(
      chunk.map(async (c, k) => {
        const f = fromTextFeatures(feats[k]!, m.layers_in_outputs, m.hidden_size);
        await cache.put(c.key, f);
        items[c.i] = { example: examples[c.i]!, text: c.text, features: f };
      }),
    );
    bar?.increment(chunk.length, { cached: cachedHits });
  }
  bar?.stop();
  return { items: items.filter((x): x is Featurized => x !== null), skipped };
}
