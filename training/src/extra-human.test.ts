import { describe, expect, it } from 'vitest';
import { groupHash } from './dataset.ts';
import { emailBody, emailTexts, speechTexts } from './extra-human.ts';

describe('extra human text', () => {
  it('keeps the readable body of an e-mail and drops headers, quotes and signatures', () => {
    const raw = 'From: a@b.c\nSubject: hi\n\nHello Bob,\n\n> quoted line\nThe build is fixed now.\n-- \nAlice\nsig';
    expect(emailBody(raw)).toBe('Hello Bob,\n\nThe build is fixed now.');
  });

  it('samples texts that fall on both sides of the fit/calibration split', () => {
    for (const texts of [emailTexts(300), speechTexts(300)]) {
      expect(texts.length).toBe(300);
      const cal = texts.filter((t) => groupHash(t.id!) < 0.2).length / texts.length;
      expect(cal).toBeGreaterThan(0.1);
      expect(cal).toBeLessThan(0.3);
      for (const t of texts) expect(t.label).toBe('human');
    }
  });
});

describe('group-balanced weights', () => {
  it('give each class half the weight and each group an equal share within its class', async () => {
    const { groupBalancedWeights } = await import('./fit-detector.ts');
    const y = Uint8Array.from([0, 0, 0, 1, 0, 1]);
    const w = groupBalancedWeights(y, ['a', 'a', 'a', 'a', 'b', 'b']);
    const sum = (f: (i: number) => boolean) => [...w].reduce((s, x, i) => s + (f(i) ? x : 0), 0);
    expect(sum((i) => y[i] === 0)).toBeCloseTo(3, 9);
    expect(sum((i) => y[i] === 1)).toBeCloseTo(3, 9);
    expect(sum((i) => y[i] === 0 && i < 3)).toBeCloseTo(
      sum((i) => y[i] === 0 && i === 4),
      9,
    );
  });
});
