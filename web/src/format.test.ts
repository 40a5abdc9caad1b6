import { describe, expect, it } from 'vitest';
import { type PredictionRow, predictionRowKey } from './api.ts';
import { band, fprWords, parseRetryAfter, retryWords, segments } from './format.ts';
import { addCheck, loadChecks, snippetOf, type LocalCheck } from './history.ts';

describe('threshold words', () => {
  it('says what each profile means for human texts', () => {
    expect(fprWords(0.01)).toBe('about 1 in 100 human texts is flagged as AI');
    expect(fprWords(0.05)).toBe('about 1 in 20 human texts is flagged as AI');
    expect(fprWords(0.012)).toBe('about 1 in 83 human texts is flagged as AI');
    expect(fprWords(0)).toBe('human texts are essentially never flagged as AI');
  });
});

describe('sentence segments', () => {
  const text = 'One. Two two. Three.';
  it('covers every character once, scored sentences and the gaps between them', () => {
    const parts = segments(text, [
      { char_start: 5, char_end: 13, score: 0, probability: 0.9 },
      { char_start: 0, char_end: 4, score: 0, probability: 0.1 },
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts).toEqual([{ text: 'One.', probability: 0.1 }, { text: ' ' }, { text: 'Two two.', probability: 0.9 }, { text: ' Three.' }]);
  });

  it('clips overlapping and out-of-range spans instead of repeating text', () => {
    const parts = segments(text, [
      { char_start: 0, char_end: 8, score: 0, probability: 0.5 },
      { char_start: 5, char_end: 99, score: 0, probability: 0.7 },
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts[1]).toEqual({ text: ' two. Three.', probability: 0.7 });
  });

  it('bands probabilities into the legend colours', () => {
    expect([0, 0.19, 0.2, 0.5, 0.79, 0.8, 1].map(band)).toEqual([0, 0, 1, 2, 3, 4, 4]);
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter('Thu, 26 Nov 2026 04:00:30 GMT', Date.parse('Thu, 26 Nov 2026 04:00:00 GMT'))).toBe(30);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('words the wait', () => {
    expect(retryWords(1)).toBe('in 1 second');
    expect(retryWords(42)).toBe('in 42 seconds');
    expect(retryWords(600)).toBe('in 10 minutes');
  });
});

describe('recent checks kept in the browser', () => {
  const storage = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };
  const check = (i: number): LocalCheck => ({
    at: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
    label: 'human',
    probability: 0.1,
    profile: 'strict',
    chars: 10,
    snippet: `text ${i}`,
  });

  it('keeps the newest 20, newest first', () => {
    const s = storage();
    for (let i = 0; i < 25; i++) addCheck(check(i), s);
    const kept = loadChecks(s);
    expect(kept).toHaveLength(20);
    expect(kept[0]!.snippet).toBe('text 24');
  });

  it('survives corrupt storage', () => {
    const s = storage();
    s.setItem('detector.recent-checks', '{not json');
    expect(loadChecks(s)).toEqual([]);
    s.setItem('detector.recent-checks', JSON.stringify([{ at: 1 }, check(1)]));
    expect(loadChecks(s)).toHaveLength(1);
  });

  it('keeps only the first words of a text', () => {
    expect(snippetOf('a b c d', 3)).toBe('a b c …');
    expect(snippetOf('  short text ')).toBe('short text');
  });
});

describe('account history rows', () => {
  it('gives every text of one batch its own row key', () => {
    const batch: PredictionRow[] = Array.from({ length: 10 }, (_, i) => ({
      request_id: 'req-1',
      item_index: i,
      created_at: '2026-12-01T10:00:00.000Z',
      label: 'human',
      probability: 0.1,
      text_length: 100 + i,
      detector: 'tinylm-detector',
      detector_version: '2026-11-27.1',
    }));
    const single = { ...batch[0]!, request_id: 'req-2', item_index: 0 };
    const keys = [...batch, single].map(predictionRowKey);
    expect(new Set(keys).size).toBe(11);
  });
});
