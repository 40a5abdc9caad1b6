import { describe, expect, it } from 'vitest';
import { planWindows } from './windows.ts';

describe('planWindows', () => {
  it('uses one window when the text fits', () => {
    expect(planWindows(100, 511, 64)).toEqual([{ start: 0, end: 100 }]);
    expect(planWindows(511, 511, 64)).toEqual([{ start: 0, end: 511 }]);
  });

  it('covers every token with overlapping windows no longer than the limit', () => {
    for (const n of [512, 1000, 1533, 5000]) {
      const w = planWindows(n, 511, 64);
      expect(w[0]!.start).toBe(0);
      expect(w[w.length - 1]!.end).toBe(n);
      for (const x of w) expect(x.end - x.start).toBeLessThanOrEqual(511);
      for (let i = 1; i < w.length; i++) expect(w[i]!.start).toBe(w[i - 1]!.end - 64);
    }
  });

  it('caps the overlap at half a window so windows always advance', () => {
    const w = planWindows(100, 10, 50);
    for (let i = 1; i < w.length; i++) expect(w[i]!.start).toBeGreaterThan(w[i - 1]!.start);
  });
});
