import { describe, expect, it } from 'vitest';
import { headScore } from './head-score.ts';
import { detectorSchema, type Detector, type Head } from './schema.ts';

const linear: Head = { type: 'logistic_regression', weights: [1, -2], bias: 0.5, l2: 0 };
// Hidden unit 0 sees x0 + x1, unit 1 sees x0 - x1; only positive activations pass.
const mlp: Head = { type: 'mlp', hidden: 2, w1: [1, 1, 1, -1], b1: [0, 0], w2: [2, -1], b2: -0.25, l2: 0 };
const ensemble: Head = {
  type: 'ensemble',
  members: [
    { weight: 0.3, head: linear },
    { weight: 0.7, head: mlp },
  ],
};

function detector(head: Head): unknown {
  return {
    schema_version: 1,
    name: 'toy',
    version: '1',
    pack: { name: 'p', sha256: '0'.repeat(64) },
    features: { layers: [], pooling: 'mean', logprob_stats: ['mean_logprob', 'std_logprob'], text_stats: [] },
    standardizer: { mean: [0, 0], scale: [1, 1] },
    head,
    calibration: { a: 1, b: 0 },
    thresholds: { strict: { score: 1, fpr: 0.01, target_fpr: 0.01 }, balanced: { score: 0, fpr: 0.05, target_fpr: 0.05 } },
    min_tokens: 1,
    provenance: { trained_at: 'x', data: [], metrics: {} },
  };
}

describe('headScore', () => {
  it('scores each head type, and an ensemble as the weighted sum of its members', () => {
    const x = [1.5, 0.5];
    const d = (h: Head) => detectorSchema.parse(detector(h)) as Detector;
    const lin = headScore(d(linear), x),
      net = headScore(d(mlp), x);
    expect(lin).toBeCloseTo(1.5 - 1 + 0.5, 12);
    expect(net).toBeCloseTo(2 * 2 - 1 * 1 - 0.25, 12);
    expect(headScore(d(ensemble), x)).toBeCloseTo(0.3 * lin + 0.7 * net, 12);
  });

  it('refuses an ensemble whose member does not fit the features, or that has one member', () => {
    const wrong: Head = {
      type: 'ensemble',
      members: [
        { weight: 1, head: linear },
        { weight: 1, head: { ...linear, weights: [1, 2, 3] } },
      ],
    };
    const bad = detectorSchema.safeParse(detector(wrong));
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.message).join()).toMatch(/ensemble member 1: head has 3 weights for 2 features/);
    expect(detectorSchema.safeParse(detector({ type: 'ensemble', members: [{ weight: 1, head: linear }] } as Head)).success).toBe(false);
  });
});
