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

/**
 * One model call over right-padded sequences. The caller passes token ids that already include
 * BOS; outputs not named are never computed (ONNX Runtime prunes the graph to what is fetched).
 */
export async function runBatch(pack: ModelPack, seqs: number[][], outputs: readonly PackOutput[]): Promise<SequenceOutputs[]> {
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
      out[b]![name] = PER_LAYER.includes(name)
        ? data.slice(b * perLayer, (b + 1) * perLayer)
        : data.slice(b * width, b * width + seqs[b]!.length);
    }
  }
  return out;
}
