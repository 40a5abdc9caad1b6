import type { LogprobStats, Pooling, TokenScore, WindowSpan } from '@detector/contract';
import type { BatchQueue } from '../batch-queue.ts';
import type { Work } from '../work.ts';
import type { ModelPack } from '../../backends/load-pack.ts';
import type { PackOutput } from '@detector/detector-kit/pack-manifest.ts';
import type { Encoded } from '../../backends/tokenizer.ts';
import { logprobStats, type TokenSeries } from './logprob-stats.ts';
import { l2normalize, layerSlice, weightedMean } from './pooling.ts';
import { planWindows, windowSpans } from './windows.ts';

export interface ExtractOptions {
  /** Resolved (non-negative) layer indexes. */
  layers: number[];
  pooling: Pooling;
  normalize: boolean;
  logprob: boolean;
  perToken: boolean;
  overlap: number;
}

export interface TextFeatures {
  tokens: number;
  windows: WindowSpan[];
  /** layer index -> pooled vector. */
  embeddings: Map<number, Float32Array>;
  /** layer index -> the pooled vector of each window (one entry when the text fits one window). */
  windowEmbeddings: Map<number, Float32Array[]>;
  logprob?: LogprobStats;
  /** Per-token values aligned with `encoded`, present when logprob was asked. */
  series?: TokenSeries;
  perToken?: TokenScore[];
  encoded: Encoded;
}

/** The outputs a request needs; the model computes nothing else. */
export function outputsFor(opts: Pick<ExtractOptions, 'layers' | 'pooling' | 'logprob'>): PackOutput[] {
  const outs: PackOutput[] = [];
  if (opts.layers.length > 0) outs.push(opts.pooling === 'mean' ? 'mean_pooled' : 'last_token');
  if (opts.logprob) outs.push('token_logprob', 'expected_logprob', 'logprob_variance');
  return outs;
}

export function planFor(pack: ModelPack, tokenCount: number, overlap: number) {
  return planWindows(tokenCount, pack.manifest.max_sequence_length - (pack.manifest.prepend_bos ? 1 : 0), overlap);
}

/**
 * Turns one tokenized text into features: windows of at most the
 * pack's length, each sent through the batching queue, then put back together.
 */
export async function extractFeatures(pack: ModelPack, queue: BatchQueue, encoded: Encoded, opts: ExtractOptions, work?: Work): Promise<TextFeatures> {
  const m = pack.manifest;
  const bos = m.prepend_bos ? 1 : 0;
  const plan = planFor(pack, encoded.ids.length, opts.overlap);
  const outputs = outputsFor(opts);
  const results = await Promise.all(
    plan.map((w) => {
      const ids = encoded.ids.slice(w.start, w.end);
      return queue.submit(m.prepend_bos ? [m.bos_token_id, ...ids] : ids, outputs, work);
    }),
  );

  const embeddings = new Map<number, Float32Array>();
  const windowEmbeddings = new Map<number, Float32Array[]>();
  if (opts.layers.length > 0) {
    const key = opts.pooling === 'mean' ? 'mean_pooled' : 'last_token';
    for (const layer of opts.layers) {
      const perWindow = results.map((r) => layerSlice(r[key]!, layer, m.hidden_size));
      windowEmbeddings.set(layer, opts.normalize ? perWindow.map(l2normalize) : perWindow);
      // The last token's state is the last window's; means combine by positions pooled.
      let v =
        opts.pooling === 'last'
          ? Float32Array.from(perWindow[perWindow.length - 1]!)
          : weightedMean(
              perWindow,
              plan.map((w) => w.end - w.start + bos),
            );
      if (opts.normalize) v = l2normalize(v);
      embeddings.set(layer, v);
    }
  }

  const features: TextFeatures = {
    tokens: encoded.ids.length,
    windows: windowSpans(plan, encoded.starts, encoded.ends),
    embeddings,
    windowEmbeddings,
    encoded,
  };
  if (opts.logprob) {
    const series = stitchSeries(plan, results, encoded.ids.length, bos);
    features.series = series;
    features.logprob = logprobStats(series);
    if (opts.perToken) {
      features.perToken = encoded.ids.map((id, i) => ({
        token: pack.tokenizer.tokenText(id),
        char_start: encoded.starts[i]!,
        char_end: encoded.ends[i]!,
        logprob: series.logprob[i]!,
        entropy: -series.expected[i]!,
      }));
    }
  }
  return features;
}

/**
 * One value per token of the text. A token in the overlap of two windows takes the later
 * window's value only past the overlap: the earlier window scored it with more left context.
 */
function stitchSeries(
  plan: Array<{ start: number; end: number }>,
  results: Array<{ token_logprob?: Float32Array; expected_logprob?: Float32Array; logprob_variance?: Float32Array }>,
  n: number,
  bos: number,
): TokenSeries {
  const s: TokenSeries = { logprob: new Float64Array(n), expected: new Float64Array(n), variance: new Float64Array(n) };
  let filled = 0;
  plan.forEach((w, k) => {
    const r = results[k]!;
    for (let t = Math.max(w.start, filled); t < w.end; t++) {
      const pos = t - w.start + bos;
      s.logprob[t] = r.token_logprob![pos]!;
      s.expected[t] = r.expected_logprob![pos]!;
      s.variance[t] = r.logprob_variance![pos]!;
    }
    filled = w.end;
  });
  return s;
}
