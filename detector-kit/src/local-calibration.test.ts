import { describe, expect, it } from 'vitest';
import { conformalIndex, localThresholds } from './local-calibration.ts';
import { localCalibrationSchema, type LocalCalibration } from './schema.ts';

// Two kinds of human writing in a 2-statistic space: one near (0, 0) whose scores sit around 0,
// one near (10, 10) whose scores sit around 5. A single global threshold would flag most of the
// second kind or let through most machine text of the first.
function calibration(): LocalCalibration {
  const points: number[] = [],
    scores: number[] = [];
  for (let i = 0; i < 100; i++) {
    const a = (i % 10) / 10,
      b = Math.floor(i / 10) / 10;
    points.push(a, b);
    scores.push(i / 100);
    points.push(10 + a, 10 + b);
    scores.push(5 + i / 100);
  }
  return localCalibrationSchema.parse({
    stats: { logprob_stats: ['mean_logprob'], text_stats: ['mean_word_length'], style_stats: [] },
    mean: [0, 0],
    scale: [1, 1],
    points,
    scores,
    // Machine-written references near (20, 20): they count only for the distance.
    machine_points: Array.from({ length: 20 }, (_, i) => [20 + (i % 5) / 10, 20 + Math.floor(i / 5) / 10]).flat(),
    neighbours: 50,
    k_distance: 5,
    max_distance: 2,
    strict_level: 0.98,
    balanced_level: 0.9,
  });
}

describe('local thresholds', () => {
  it('takes the threshold from the nearest references, not from all of them', () => {
    const cal = calibration();
    const low = localThresholds(cal, [0.45, 0.45]);
    const high = localThresholds(cal, [10.45, 10.45]);
    expect(low.strict).toBeLessThan(1);
    expect(high.strict).toBeGreaterThan(5);
    expect(low.balanced).toBeLessThanOrEqual(low.strict);
    expect(low.outOfDistribution).toBe(false);
  });

  it('calls a text far from every reference out of distribution', () => {
    const t = localThresholds(calibration(), [5, -20]);
    expect(t.outOfDistribution).toBe(true);
    expect(t.distance).toBeGreaterThan(2);
  });

  it('does not call text close to known machine writing out of distribution', () => {
    expect(localThresholds(calibration(), [20.2, 20.2]).outOfDistribution).toBe(false);
  });

  it('uses the conformal rank ceil((m + 1) q)', () => {
    expect(conformalIndex(99, 0.99)).toBe(98);
    expect(conformalIndex(400, 0.998)).toBe(399);
    expect(conformalIndex(10, 0.5)).toBe(5);
  });

  it('refuses a calibration whose points do not match its scores', () => {
    const bad = { ...calibration(), points: [1, 2, 3] };
    expect(localCalibrationSchema.safeParse(bad).success).toBe(false);
  });
});
