import type { TEXT_STATS } from './schema.ts';

export type TextStat = (typeof TEXT_STATS)[number];

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const FIRST_PERSON = new Set(['i', 'me', 'my', 'mine', 'we', 'us', 'our', "i'm", "i've", "i'd", "i'll"]);

// Titles and abbreviations after which the segmenter would wrongly end a sentence.
const NO_BREAK_AFTER = /(?:^|[\s(])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Sr|Jr|St|Rev|Gen|Col|Capt|Lt|Sgt|Gov|Sen|Rep|Hon|vs|etc|e\.g|i\.e|cf|No|Fig|approx|Mt|Ft)\.\s*$/;

// The segmenter (UAX #29) never ends a sentence at a full stop followed by a lower-case letter, so
// informal writing ("it broke. then i fixed it.") reads as one long sentence; `!` and `?` it
// already splits. A lone full stop (not an ellipsis), optional closing quotes, whitespace, then a
// lower-case letter ends a sentence unless an abbreviation ends there.
const LOWER_START = /(?<!\.)\.["'”’)\]]*\s+(?=\p{Ll})/gu;
// A word with a dot inside it (a.m., u.s.) is an abbreviation whatever the list says.
const DOTTED_WORD = /(?:^|\s)\p{L}+\.\p{L}+(?:\.\p{L}+)*\.$/u;

function splitLowerStarts(text: string, span: { start: number; end: number }): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const body = text.slice(span.start, span.end);
  let from = 0;
  for (const m of body.matchAll(LOWER_START)) {
    const stop = m.index + 1;
    const before = body.slice(from, stop);
    if (NO_BREAK_AFTER.test(before) || DOTTED_WORD.test(before)) continue;
    const close = m[0].search(/\s/);
    out.push({ start: span.start + from, end: span.start + m.index + close });
    from = m.index + m[0].length;
  }
  out.push({ start: span.start + from, end: span.end });
  return out;
}

/** Sentence spans of a text, trimmed of surrounding whitespace. */
export function sentenceSpans(text: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  let joinNext = false;
  for (const s of segmenter.segment(text)) {
    let start = s.index,
      end = s.index + s.segment.length;
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end <= start) continue;
    const last = spans[spans.length - 1];
    if (joinNext && last) last.end = end;
    else spans.push({ start, end });
    joinNext = NO_BREAK_AFTER.test(text.slice(spans[spans.length - 1]!.start, end));
  }
  return spans.flatMap((span) => splitLowerStarts(text, span));
}

/** Cheap surface statistics of writing style; scaled to be comparable across lengths. */
export function textStats(text: string): Record<TextStat, number> {
  const words = text.match(/[\p{L}\p{N}'’]+/gu) ?? [];
  const chars = Math.max(1, text.length);
  const lower = words.map((w) => w.toLowerCase());
  const sample = lower.slice(0, 200);
  const sentences = sentenceSpans(text).map((s) => (text.slice(s.start, s.end).match(/[\p{L}\p{N}'’]+/gu) ?? []).length);
  const meanSent = sentences.length ? sentences.reduce((a, b) => a + b, 0) / sentences.length : 0;
  const sdSent = sentences.length ? Math.sqrt(sentences.reduce((a, b) => a + (b - meanSent) ** 2, 0) / sentences.length) : 0;
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const letters = Math.max(1, count(/\p{L}/gu));
  return {
    mean_word_length: words.length ? words.reduce((a, w) => a + w.length, 0) / words.length : 0,
    type_token_ratio: sample.length ? new Set(sample).size / sample.length : 0,
    mean_sentence_words: meanSent,
    std_sentence_words: meanSent ? sdSent / meanSent : 0,
    punctuation_rate: count(/[\p{P}]/gu) / chars,
    comma_rate: count(/,/g) / Math.max(1, words.length),
    uppercase_rate: count(/\p{Lu}/gu) / letters,
    digit_rate: count(/\p{N}/gu) / chars,
    newline_rate: count(/\n/g) / chars,
    first_person_rate: lower.filter((w) => FIRST_PERSON.has(w.replace('’', "'"))).length / Math.max(1, words.length),
    quote_rate: count(/["“”]/g) / chars,
  };
}
