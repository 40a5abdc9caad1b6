import { describe, expect, it } from 'vitest';
import { auroc, groupBalancedWeights, ratesAt, rocCurve, thresholdAtFpr, tprAtFpr, tprAtWeightedFpr, weightedFprAt } from './roc-stats.ts';

describe('metrics', () => {
  it('AUROC is 1 for perfect ranking, 0 for reversed, 0.5 for ties', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
  });

  it('AUROC matches the pairwise definition', () => {
    const s = [0.3, 0.1, 0.7, 0.4, 0.4, 0.9, 0.2],
      y = [0, 0, 1, 1, 0, 1, 0];
    let wins = 0,
      pairs = 0;
    for (let i = 0; i < s.length; i++)
      for (let j = 0; j < s.length; j++)
        if (y[i] && !y[j]) {
          pairs++;
          wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
    expect(auroc(s, y)).toBeCloseTo(wins / pairs, 12);
  });

  it('ROC runs from (0,0) to (1,1) and TPR at FPR reads it', () => {
    const s = [1, 2, 3, 4, 5, 6],
      y = [0, 1, 0, 1, 1, 1];
    const roc = rocCurve(s, y);
    expect(roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    expect(tprAtFpr(s, y, 0)).toBe(0.75);
    expect(tprAtFpr(s, y, 0.5)).toBe(1);
  });

  it('the calibrated threshold keeps the human false-positive rate at or under its target', () => {
    const human = Array.from({ length: 1000 }, (_, i) => i / 1000);
    for (const fpr of [0.01, 0.05]) {
      const t = thresholdAtFpr(human, fpr);
      const r = ratesAt(human, new Array(human.length).fill(0), t);
      expect(r.fpr).toBeLessThanOrEqual(fpr);
      expect(r.fpr).toBeGreaterThan(fpr - 0.005);
    }
  });

  it('the unweighted threshold is the conformal rank ceil((n+1)(1-fpr))', () => {
    const human = Array.from({ length: 250 }, (_, i) => (i * 37) % 250);
    for (const fpr of [0.01, 0.05, 0.2]) {
      const rank = Math.ceil((human.length + 1) * (1 - fpr));
      expect(thresholdAtFpr(human, fpr)).toBeCloseTo(rank - 1 + 1e-9, 12);
      expect(thresholdAtFpr(human, fpr, new Array(human.length).fill(3))).toBe(thresholdAtFpr(human, fpr));
    }
  });

  it('a domain-balanced threshold holds for a small domain that a pooled one lets through', () => {
    // 900 texts of a domain the head rarely flags, 100 of one it often scores high.
    const common = Array.from({ length: 900 }, (_, i) => i / 900);
    const rare = Array.from({ length: 100 }, (_, i) => 0.9 + i / 500);
    const scores = [...common, ...rare];
    const groups = [...common.map(() => 'news'), ...rare.map(() => 'essay')];
    const w = groupBalancedWeights(groups);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const pooled = thresholdAtFpr(scores, 0.01);
    const balanced = thresholdAtFpr(scores, 0.01, w);
    const essayFpr = (t: number) =>
      ratesAt(
        rare,
        rare.map(() => 0),
        t,
      ).fpr;
    expect(essayFpr(pooled)).toBeGreaterThan(0.08);
    expect(balanced).toBeGreaterThan(pooled);
    expect(weightedFprAt(scores, balanced, w)).toBeLessThanOrEqual(0.01);
    expect(essayFpr(balanced)).toBeLessThanOrEqual(0.02);
  });

  it('TPR at a weighted FPR equals TPR at FPR when the weights are equal, and is lower when a hard domain counts more', () => {
    const s = [0.1, 0.2, 0.3, 0.35, 0.9, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95],
      y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    expect(
      tprAtWeightedFpr(
        s,
        y,
        0.2,
        s.map(() => 1),
      ),
    ).toBe(tprAtFpr(s, y, 0.2));
    const heavyHard = s.map((v, i) => (y[i] === 0 && v === 0.9 ? 10 : 1));
    expect(tprAtWeightedFpr(s, y, 0.2, heavyHard)).toBeLessThan(tprAtFpr(s, y, 0.2));
  });
});
