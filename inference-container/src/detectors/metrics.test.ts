import { describe, expect, it } from 'vitest';
import { auroc, ratesAt, rocCurve, thresholdAtFpr, tprAtFpr } from './metrics.ts';

describe('metrics', () => {
  it('AUROC is 1 for perfect ranking, 0 for reversed, 0.5 for ties', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
  });

  it('AUROC matches the pairwise definition', () => {
    const s = [0.3, 0.1, 0.7, 0.4, 0.4, 0.9, 0.2], y = [0, 0, 1, 1, 0, 1, 0];
    let wins = 0, pairs = 0;
    for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) if (y[i] && !y[j]) {
      pairs++;
      wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
    expect(auroc(s, y)).toBeCloseTo(wins / pairs, 12);
  });

  it('ROC runs from (0,0) to (1,1) and TPR at FPR reads it', () => {
    const s = [1, 2, 3, 4, 5, 6], y = [0, 1, 0, 1, 1, 1];
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
});
