import type { ModelPack } from './load-pack.ts';
import type { PackOutput } from '@detector/detector-kit/pack-manifest.ts';

/** What one sequence gets back from a model call; only the outputs asked for are present. */
export interface SequenceOutputs {
  /** [layers_in_outputs * hidden_size], layer-major. */
  mean_pooled?: Float32Array;
  last_token?: Float32Array;
  /** [sequence length], position 0 (BOS) is 0. */
  token_logprob?: Float32Array;
  expected_logprob?: Float32Array;
  logprob_variance?: Float32Array;
}

const PER_LAYER: PackOutput[] = ['mean_pooled', 'last_token'];
/** Outputs computed from the [tokens x vocab] projection. */
const VOCAB: PackOutput[] = ['token_logprob', 'expected_logprob', 'logprob_variance'];

/** Padded tokens whose [tokens x vocab] float32 tensor fits in `mb` megabytes (0 = unlimited). */
export function vocabTokenBudget(mb: number, vocabSize: number): number {
  return mb === 0 ? Infinity : Math.floor((mb * 1024 * 1024) / (4 * vocabSize));
}

/**
 * Consecutive slices of `seqs` whose padded size stays within `budget` tokens (a sequence longer
 * than the budget goes alone). Sequences arrive grouped by similar length, so slicing in order
 * keeps padding small.
 */
export function sliceByTokens(seqs: number[][], budget: number): number[][][] {
  const slices: number[][][] = [];
  let cur: number[][] = [];
  let width = 0;
  for (const s of seqs) {
    const w = Math.max(width, s.length);
    if (cur.length > 0 && w * (cur.length + 1) > budget) {
      slices.push(cur);
      cur = [];
    }
    width = cur.length === 0 ? s.length : Math.max(width, s.length);
    cur.push(s);
  }
  if (cur.length > 0) slices.push(cur);
  return slices;
}

/**
 * One model call over right-padded sequences. The caller passes token ids that already include
 * BOS; outputs not named are never computed (ONNX Runtime prunes the graph to what is fetched).
 */
export async function runBatch(pack: ModelPack, seqs: number[][], outputs: readonly PackOutput[], vocabTokens = Infinity): Promise<SequenceOutputs[]> {
  // The log-probability statistics hold several [tokens x vocab] tensors at once: peak memory grows
  // with the call's tokens, while speed stops growing well before, so such calls run in slices.
  if (outputs.some((o) => VOCAB.includes(o)) && seqs.length > 1) {
    const slices = sliceByTokens(seqs, vocabTokens);
    if (slices.length > 1) {
      const out: SequenceOutputs[] = [];
      for (const slice of slices) out.push(...(await runOne(pack, slice, outputs)));
      return out;
    }
  }
  return runOne(pack, seqs, outputs);
}

async function runOne(pack: ModelPack, seqs: number[][], outputs: readonly PackOutput[]): Promise<SequenceOutputs[]> {
  const batch = seqs.length;
  const width = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(batch * width).fill(BigInt(pack.manifest.pad_token_id));
  const mask = new BigInt64Array(batch * width);
  seqs.forEach((seq, b) => {
    for (let t = 0; t < seq.length; t++) {
      ids[b * width + t] = BigInt(seq[t]!);
      mask[b * width + t] = 1n;
    }
  });
  const result = await pack.session.run({ ids, mask, dims: [batch, width] }, outputs);
  const perLayer = pack.manifest.layers_in_outputs * pack.manifest.hidden_size;
  const out: SequenceOutputs[] = seqs.map(() => ({}));
  for (const name of outputs) {
    const data = result[name]!;
    for (let b = 0; b < batch; b++) {
      out[b]![name] = PER_LAYER.includes(name) ? data.slice(b * perLayer, (b + 1) * perLayer) : data.slice(b * width, b * width + seqs[b]!.length);
    }
  }
  return out;
}
