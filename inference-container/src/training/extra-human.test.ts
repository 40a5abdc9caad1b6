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
