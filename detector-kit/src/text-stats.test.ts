import { describe, expect, it } from 'vitest';
import { styleStats } from './style-stats.ts';
import { sentenceSpans } from './text-stats.ts';

describe('sentence spans', () => {
  it('does not end a sentence after a title or an abbreviation', () => {
    const text = 'Mr. Darcy met Mrs. Bennet at noon. Dr. Smith, e.g. the vet, came later. It was fine.';
    expect(sentenceSpans(text).map((s) => text.slice(s.start, s.end))).toEqual([
      'Mr. Darcy met Mrs. Bennet at noon.',
      'Dr. Smith, e.g. the vet, came later.',
      'It was fine.',
    ]);
  });

  it('ends a sentence before a lower-case start, as informal writing has them', () => {
    const post = 'ok so i tried it. it broke. then i fixed it. turns out the cable was loose. now it works fine. thanks for the help. would recommend.';
    expect(sentenceSpans(post).map((s) => post.slice(s.start, s.end))).toEqual([
      'ok so i tried it.',
      'it broke.',
      'then i fixed it.',
      'turns out the cable was loose.',
      'now it works fine.',
      'thanks for the help.',
      'would recommend.',
    ]);
    const quoted = 'he said "no." then he left.';
    expect(sentenceSpans(quoted).map((s) => quoted.slice(s.start, s.end))).toEqual(['he said "no."', 'then he left.']);
  });

  it('keeps abbreviations, decimals and a trailing-off ellipsis inside their sentence', () => {
    const text = 'it costs 3.5 dollars, e.g. the small one, pens etc. and paper. we meet at 9 a.m. tomorrow. so wait... what now?';
    expect(sentenceSpans(text).map((s) => text.slice(s.start, s.end))).toEqual([
      'it costs 3.5 dollars, e.g. the small one, pens etc. and paper.',
      'we meet at 9 a.m. tomorrow.',
      'so wait... what now?',
    ]);
  });
});

describe('style statistics', () => {
  it('counts misspelt lower-case words, not names', () => {
    const clean = styleStats('Yesterday Anneliese and I walked to the station because the weather was pleasant.');
    const slips = styleStats('yesterday i walkd to the staton becaus the wether was plesant.');
    expect(clean.misspelling_rate).toBe(0);
    expect(slips.misspelling_rate).toBeGreaterThan(0.3);
    expect(slips.lowercase_i_rate).toBeGreaterThan(0);
    expect(slips.lowercase_sentence_start_rate).toBe(1);
  });

  it('reads word rarity from a spoken-English frequency list', () => {
    const common = styleStats('I think we can go there now and see what they want to do.');
    const rare = styleStats('Photosynthetic dinoflagellates exhibit bioluminescent phenotypes.');
    expect(common.word_log_frequency).toBeGreaterThan(rare.word_log_frequency);
    expect(rare.rare_word_rate).toBeGreaterThan(common.rare_word_rate);
  });

  it('counts the words instruction-tuned models favour', () => {
    expect(styleStats('Furthermore, it is crucial to foster a comprehensive approach.').model_favourite_rate).toBeGreaterThan(0.3);
    expect(styleStats('We went out for chips and then the bus broke down.').model_favourite_rate).toBe(0);
  });
});
