import { describe, expect, it } from 'vitest';
import { decideText, operatingLevel } from './decision.ts';
import { detectorSchema, type Detector } from './schema.ts';

// One statistic. Human references near 0 score 0..0.99; machine references near 0 score 0.3..1.29.
function detector(): Detector {
  const human = Array.from({ length: 100 }, (_, i) => i / 100);
  const machine = Array.from({ length: 100 }, (_, i) => 0.3 + i / 100);
  const bands = (fpr: number, tpr: number) => [
    { min_tokens: 0, max_tokens: 200, human: 500, machine: 500, fpr: fpr * 2, tpr },
    { min_tokens: 200, max_tokens: null, human: 500, machine: 500, fpr: fpr / 2, tpr },
  ];
  return detectorSchema.parse({
    schema_version: 1,
    name: 'toy',
    version: '1',
    pack: { name: 'p', sha256: 'a'.repeat(64) },
    features: { layers: [], pooling: 'mean', logprob_stats: ['mean_logprob'], text_stats: [], style_stats: [] },
    standardizer: { mean: [0], scale: [1] },
    head: { type: 'logistic_regression', weights: [1], bias: 0, l2: 0 },
    calibration: { a: 2, b: 0, on: 'margin' },
    thresholds: { strict: { score: 1, fpr: 0.01, target_fpr: 0.01 }, balanced: { score: 0.9, fpr: 0.05, target_fpr: 0.05 } },
    min_tokens: 50,
    local_calibration: {
      stats: { logprob_stats: ['mean_logprob'], text_stats: [], style_stats: [] },
      mean: [0],
      scale: [1],
      points: human.map((_, i) => (i % 10) / 100),
      scores: human,
      machine_points: machine.map((_, i) => (i % 10) / 100),
      machine_scores: machine,
      neighbours: 100,
      k_distance: 5,
      max_distance: 5,
      strict_level: 0.99,
      balanced_level: 0.9,
      human_rule: { level: 0.05, neighbours: 100, miss_rate: 0.04, bands: [] },
      operating_points: [
        { level: 0.8, fpr: 0.15, fpr_p90: 0.3, tpr: 0.9, bands: bands(0.15, 0.9) },
        { level: 0.9, fpr: 0.06, fpr_p90: 0.12, tpr: 0.8, bands: bands(0.06, 0.8) },
        { level: 0.95, fpr: 0.03, fpr_p90: 0.06, tpr: 0.6, bands: bands(0.03, 0.6) },
        { level: 0.99, fpr: 0.008, fpr_p90: 0.02, tpr: 0.4, bands: bands(0.008, 0.4) },
      ],
    },
    provenance: { trained_at: 'now', data: [], metrics: {} },
  });
}

const at = (score: number, tokens = 300) => ({ score, stats: [0.05], tokens });

describe('the decision rule', () => {
  it('flags above the profile level, says human only below the nearest machine references, and is uncertain between', () => {
    const d = detector();
    expect(decideText(d, at(1.5), { profile: 'strict' }).label).toBe('ai');
    const mid = decideText(d, at(0.5), { profile: 'strict' });
    expect(mid.label).toBe('uncertain');
    expect(mid.reason).toBe('between_thresholds');
    // Strict's threshold is the 0.99 level of the human scores; balanced's the 0.9 level.
    expect(decideText(d, at(0.95), { profile: 'balanced' }).label).toBe('ai');
    expect(decideText(d, at(0.95), { profile: 'strict' }).label).toBe('uncertain');
  });

  it('says human only below the low quantile of the nearest machine references', () => {
    const d = detector();
    const h = decideText(d, at(0.2), { profile: 'strict' });
    expect(h.label).toBe('human');
    expect(h.humanThreshold).toBeCloseTo(0.35, 5);
    expect(h.missRate).toBe(0.04);
    expect(decideText(d, at(0.4), { profile: 'strict' }).label).toBe('uncertain');
  });

  it('never says human at or above a flagging threshold', () => {
    const d = detector();
    // At a 20% rate the flagging threshold (0.8 level, 0.79) stays above the human one.
    const loose = decideText(d, at(0.34), { profile: 'strict', maxFpr: 0.2 });
    expect(loose.humanThreshold!).toBeLessThanOrEqual(loose.threshold);
    const noRule = { ...d, local_calibration: { ...d.local_calibration!, human_rule: undefined } };
    // Without a machine rule, human is said below the balanced threshold, as before.
    expect(decideText(noRule, at(0.85), { profile: 'strict' }).label).toBe('human');
  });

  it('never gives a probability that points the other way from the label', () => {
    const d = detector();
    for (const s of [-3, 0, 0.5, 0.89, 0.91, 0.95, 1.2, 5])
      for (const profile of ['strict', 'balanced'] as const) {
        const r = decideText(d, at(s), { profile });
        if (r.label === 'ai') expect(r.probability).toBeGreaterThanOrEqual(0.5);
        if (r.label === 'human') expect(r.probability).toBeLessThanOrEqual(0.5);
        if (r.label === 'uncertain') expect(Math.abs(r.probability - 0.5)).toBeLessThanOrEqual(0.3);
      }
  });

  it('states the rate of the text length band', () => {
    const d = detector();
    expect(decideText(d, at(0, 100), { profile: 'strict' }).fpr).toBeCloseTo(0.016);
    expect(decideText(d, at(0, 300), { profile: 'strict' }).fpr).toBeCloseTo(0.004);
    expect(decideText(d, at(0, 300), { profile: 'strict' }).band).toEqual({ min_tokens: 200, max_tokens: null });
  });

  it('sets max_fpr at the weakest measured level within it', () => {
    const d = detector();
    expect(operatingLevel(d, { profile: 'strict', maxFpr: 0.1 })).toMatchObject({ level: 0.9, met: true });
    expect(operatingLevel(d, { profile: 'strict', maxFpr: 0.03 })).toMatchObject({ level: 0.95, met: true });
    expect(operatingLevel(d, { profile: 'balanced', maxFpr: 0.2 }).level).toBe(0.8);
    expect(operatingLevel(d, { profile: 'strict', maxFpr: 0.001 })).toMatchObject({ level: 0.99, met: false });
    // The level is picked by the rate of the text's own length band: short texts (band rates
    // twice the overall) need a stricter level for the same request, and never exceed it.
    const short = decideText(d, at(0, 100), { profile: 'strict', maxFpr: 0.1 });
    expect(short.level).toBe(0.95);
    expect(short.fpr).toBeLessThanOrEqual(0.1);
    expect(decideText(d, at(0, 300), { profile: 'strict', maxFpr: 0.1 }).level).toBe(0.8);
    // A looser rate flags more: the same text is ai at 10% and not at 1%.
    expect(decideText(d, at(0.85), { profile: 'strict', maxFpr: 0.2 }).label).toBe('ai');
    expect(decideText(d, at(0.85), { profile: 'strict', maxFpr: 0.01 }).label).toBe('uncertain');
  });

  it('abstains on short texts whatever the score', () => {
    const r = decideText(detector(), at(5, 10), { profile: 'balanced' });
    expect(r.label).toBe('uncertain');
    expect(r.reason).toBe('too_short');
  });
});
