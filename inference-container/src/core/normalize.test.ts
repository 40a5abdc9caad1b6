import { describe, expect, it } from 'vitest';
import { changedCount, normalizeForDetection } from './normalize.ts';

describe('normalizeForDetection', () => {
  it('removes zero-width and bidi characters', () => {
    const n = normalizeForDetection('in\u200Bvis\u200Dible\uFEFF te\u202Ext');
    expect(n.text).toBe('invisible text');
    expect(n.changes.invisible).toBe(4);
  });

  it('maps look-alike letters inside Latin words back to Latin', () => {
    // "раper" and "Ηello" carry Cyrillic р, а and a Greek Η.
    const n = normalizeForDetection('The \u0440\u0430per said \u0397ello.');
    expect(n.text).toBe('The paper said Hello.');
    expect(n.changes.homoglyphs).toBe(3);
  });

  it('leaves real Cyrillic and Greek words alone', () => {
    const text = 'Москва and Αθήνα are cities.';
    expect(normalizeForDetection(text)).toEqual({ text, changes: { invisible: 0, homoglyphs: 0, spaces: 0, fullwidth: 0, encoding: 0 } });
  });

  it('repairs Windows-1252 punctuation decoded as C1 controls', () => {
    // U+0092 is the byte 0x92 (a right single quote) read as Latin-1; U+0093/U+0094 are curly quotes.
    const n = normalizeForDetection('It\u0092s \u0093fine\u0094\u0081.');
    expect(n.text).toBe('It’s “fine”.');
    expect(n.changes.encoding).toBe(4);
  });

  it('turns odd spaces and full-width letters into plain ones', () => {
    const n = normalizeForDetection('a\u00A0b\u2003c \uFF28\uFF49');
    expect(n.text).toBe('a b c Hi');
    expect(changedCount(n)).toBe(4);
  });

  it('keeps ordinary text byte for byte', () => {
    const text = 'Plain text, with “quotes”, an em dash — and café.\nNew line.';
    expect(normalizeForDetection(text).text).toBe(text);
  });
});

describe('normalizeForDetection against one hidden or look-alike character per word', () => {
  const clean = 'The committee reviewed the budget and agreed to postpone the final vote until spring.';
  const words = clean.split(' ');
  const tag = String.fromCodePoint(0xe0041);
  const tricks: Array<[string, (w: string) => string]> = [
    ['tag characters', (w) => `${w}${tag}`],
    ['emoji variation selectors', (w) => `${w}\uFE0F`],
    ['combining grapheme joiners', (w) => `${w.slice(0, 1)}\u034F${w.slice(1)}`],
    ['Latin alpha', (w) => w.replace('a', '\u0251')],
    ['Armenian o', (w) => w.replace('o', '\u0585')],
    ['dotless i', (w) => w.replace('i', '\u0131')],
  ];
  for (const [name, trick] of tricks)
    it(`undoes ${name} and counts them`, () => {
      const n = normalizeForDetection(words.map(trick).join(' '));
      expect(n.text).toBe(clean);
      expect(changedCount(n)).toBeGreaterThan(0);
    });
});
