/** One entry of a pack's reference.json: outputs the training framework computed for known ids. */
export interface Reference {
  input_ids: number[];
  mean_pooled_layer_last_first8: number[];
  last_token_layer_last_first8: number[];
  token_logprob_sum: number;
  expected_logprob_sum: number;
  logprob_variance_sum: number;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export const sum = (a: Float32Array): number => a.reduce((s, x) => s + x, 0);
