import { describe, expect, it } from 'vitest';
import { decodeCtc, inkGaps, joinLines, withWordGaps } from './ocr-engine.ts';

/** A 48-row line image: white, with black columns where `ink` says '#'. */
function line(ink: string): { pixels: Uint8Array; width: number } {
  const width = ink.length;
  const pixels = new Uint8Array(48 * width).fill(255);
  for (let y = 8; y < 40; y++) for (let x = 0; x < width; x++) if (ink[x] === '#') pixels[y * width + x] = 0;
  return { pixels, width };
}

describe('word gaps in a recognised line', () => {
  it('finds the wide gaps between words and not the narrow ones between letters', () => {
    // Letters 8 columns wide, 3 apart; words 14 apart (ink 32 rows high: a word gap is over 9).
    const letters = (n: number) => Array.from({ length: n }, () => '########').join('...');
    const { pixels, width } = line(`${letters(3)}${'.'.repeat(14)}${letters(4)}`);
    expect(inkGaps(pixels, width)).toEqual([{ from: 30, to: 44 }]);
  });

  it('puts a space where the picture has a word gap and the recogniser emitted none', () => {
    const dictionary = ['a', 'b', 'c', ' '];
    // Characters at steps 0, 1, 4, 5 (columns 4, 12, 36, 44) around a gap from column 16 to 32.
    const chars = [0, 1, 4, 5].map((step, i) => ({ cls: [1, 2, 1, 3][i]!, p: 0.9, step }));
    expect(withWordGaps(chars, dictionary, [{ from: 16, to: 32 }])).toBe('ab ac');
    // Where the recogniser emitted the space itself, no second one is added.
    const spaced = [...chars.slice(0, 2), { cls: 4, p: 0.9, step: 3 }, ...chars.slice(2)];
    expect(withWordGaps(spaced, dictionary, [{ from: 16, to: 32 }])).toBe('ab ac');
  });

  it('decodes CTC output by its best class per step, merging repeats and dropping blanks', () => {
    const steps = [0, 1, 1, 0, 1, 2].map((best) => [0, 1, 2].map((c) => (c === best ? 0.9 : 0.05)));
    const chars = decodeCtc(Float32Array.from(steps.flat()), 6, 3);
    expect(chars.map((c) => [c.cls, c.step])).toEqual([
      [1, 1],
      [1, 4],
      [2, 5],
    ]);
  });
});

describe('joining lines', () => {
  const at = (text: string, y0: number, x0 = 0) => ({ text, mean: 0.9, box: { x0, y0, x1: x0 + 100, y1: y0 + 20 } });

  it('joins boxes on one line left to right and wrapped lines into one paragraph', () => {
    const r = joinLines([at('world', 0, 200), at('hello', 0), at('again', 30), at('and more', 60)]);
    expect(r.text).toBe('hello world again and more');
  });

  it('starts a paragraph where the gap to the line above is well over the line pitch', () => {
    const r = joinLines([at('Title', 0), at('First line', 80), at('second line', 110), at('third.', 140)]);
    expect(r.text).toBe('Title\n\nFirst line second line third.');
  });
});
