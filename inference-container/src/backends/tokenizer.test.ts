import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_PACK, BUNDLED_PACKS_DIR } from '../config.ts';
import { TextTokenizer } from './tokenizer.ts';

const tok = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK, 'tokenizer.json'), 'utf8')));

describe('TextTokenizer offsets', () => {
  it.each([
    ['plain ASCII', 'The quick brown fox jumps over the lazy dog.'],
    ['accents and CJK', 'Café crème, naïve façade — 東京 is big.'],
    ['emoji (surrogate pairs)', 'Launch day 🚀🚀 went well 👍, mostly.'],
    ['newlines and tabs', 'Line one.\n\n\tLine two.\r\nEnd'],
  ])('tiles %s exactly, token by token', (_name, text) => {
    const enc = tok.encode(text);
    expect(enc.ids.length).toBeGreaterThan(0);
    expect(enc.starts[0]).toBe(0);
    expect(enc.ends[enc.ends.length - 1]).toBe(text.length);
    for (let i = 1; i < enc.ids.length; i++) expect(enc.starts[i]).toBe(enc.ends[i - 1]);
    // Tokens that decode to whole characters decode to exactly their span.
    for (let i = 0; i < enc.ids.length; i++) {
      const piece = tok.decode([enc.ids[i]!]);
      if (!piece.includes('\uFFFD')) expect(text.slice(enc.starts[i], enc.ends[i])).toBe(piece);
    }
    expect(tok.decode(enc.ids)).toBe(text);
  });
});
