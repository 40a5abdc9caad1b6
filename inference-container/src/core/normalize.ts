/**
 * Undoes the cheap tricks used to slip machine text past detectors: invisible characters,
 * look-alike letters from other scripts, and unusual spaces. Training and serving both score
 * text after this step, so the detector never learns to rely on the tricks either.
 */

// Zero-width characters, soft hyphen, word joiner, BOM, bidirectional controls, and the rest of
// Unicode's default-ignorable code points that render as nothing: the combining grapheme joiner,
// Hangul fillers, Khmer inherent vowels, Mongolian selectors, variation selectors (an emoji's
// U+FE0F after a letter shows nothing) and tag characters. One per word is enough to move a
// language model's likelihoods while the reader sees nothing.
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each mark is removed on its own, never read as part of a letter
  /\u034F|[\u00AD\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]|\uDB40[\uDC00-\uDDEF]/g;
// Spaces other than the plain one, tab and newline.
const ODD_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// Full-width ASCII (U+FF01..U+FF5E) maps onto ASCII by a fixed offset.
const FULLWIDTH = /[\uFF01-\uFF5E]/g;

// Cyrillic and Greek letters that render like Latin ones.
const HOMOGLYPHS: Record<string, string> = {
  '\u0430': 'a',
  '\u0435': 'e',
  '\u043E': 'o',
  '\u0440': 'p',
  '\u0441': 'c',
  '\u0443': 'y',
  '\u0445': 'x',
  '\u0456': 'i',
  '\u0458': 'j',
  '\u04BB': 'h',
  '\u0501': 'd',
  '\u051B': 'q',
  '\u051D': 'w',
  '\u0455': 's',
  '\u0410': 'A',
  '\u0412': 'B',
  '\u0415': 'E',
  '\u041A': 'K',
  '\u041C': 'M',
  '\u041D': 'H',
  '\u041E': 'O',
  '\u0420': 'P',
  '\u0421': 'C',
  '\u0422': 'T',
  '\u0425': 'X',
  '\u0406': 'I',
  '\u0408': 'J',
  '\u0405': 'S',
  '\u03BF': 'o',
  '\u03B1': 'a',
  '\u03BD': 'v',
  '\u03C1': 'p',
  '\u03B9': 'i',
  '\u03BA': 'k',
  '\u0391': 'A',
  '\u0392': 'B',
  '\u0395': 'E',
  '\u0396': 'Z',
  '\u0397': 'H',
  '\u0399': 'I',
  '\u039A': 'K',
  '\u039C': 'M',
  '\u039D': 'N',
  '\u039F': 'O',
  '\u03A1': 'P',
  '\u03A4': 'T',
  '\u03A5': 'Y',
  '\u03A7': 'X',
  // Latin and Armenian letters that read as plain ASCII ones (Unicode's confusables).
  '\u0251': 'a',
  '\u0261': 'g',
  '\u0131': 'i',
  '\u0237': 'j',
  '\u0585': 'o',
  '\u0578': 'n',
  '\u057D': 'u',
  '\u0570': 'h',
  '\u0566': 'q',
  '\u0581': 'g',
  '\u04CF': 'l',
};
const HOMOGLYPH_CHARS = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');
// A word that mixes Latin letters with look-alikes; words wholly in Cyrillic or Greek are left alone.
const MIXED_WORD = new RegExp(
  `[\\p{L}\\p{M}]*(?:[A-Za-z][\\p{L}\\p{M}]*[${Object.keys(HOMOGLYPHS).join('')}]|[${Object.keys(HOMOGLYPHS).join('')}][\\p{L}\\p{M}]*[A-Za-z])[\\p{L}\\p{M}]*`,
  'gu',
);

import { repairC1Controls, toScoredForm } from '@detector/contract';

export interface Normalized {
  text: string;
  /** What was changed, for the answer's warnings. */
  changes: { invisible: number; homoglyphs: number; spaces: number; fullwidth: number; encoding: number };
}

export function normalizeForDetection(input: string): Normalized {
  const repaired = repairC1Controls(input);
  const changes = { invisible: 0, homoglyphs: 0, spaces: 0, fullwidth: 0, encoding: repaired.repaired };
  let text = toScoredForm(repaired.text);
  text = text.replace(INVISIBLE, () => (changes.invisible++, ''));
  text = text.replace(ODD_SPACE, () => (changes.spaces++, ' '));
  text = text.replace(FULLWIDTH, (ch) => (changes.fullwidth++, String.fromCharCode(ch.charCodeAt(0) - 0xfee0)));
  text = text.replace(MIXED_WORD, (word) => word.replace(HOMOGLYPH_CHARS, (ch) => (changes.homoglyphs++, HOMOGLYPHS[ch]!)));
  return { text, changes };
}

export function changedCount(n: Normalized): number {
  const c = n.changes;
  return c.invisible + c.homoglyphs + c.spaces + c.fullwidth + c.encoding;
}
