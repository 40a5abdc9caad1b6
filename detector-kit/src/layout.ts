/**
 * The form of a text the detector scores: every run of whitespace (line breaks, paragraph gaps,
 * tabs, repeated spaces) becomes one space. Layout is not authorship: measured on outside text,
 * paragraphing alone moved most verdicts, and joining paragraphs is an evasion anyone can do. With
 * this form a text and the same text with its paragraphs joined are scored identically.
 *
 * `toSource[i]` is the offset in the original text of the i-th character of the scored form, so
 * spans found in the scored form (windows, sentences, segments) can be reported in the caller's
 * own text.
 */
export interface LayoutFree {
  text: string;
  toSource: Int32Array;
  /** The original text's length, where a span ending at the scored form's end maps to. */
  sourceLength: number;
}

const WHITESPACE = /\s/;

export function layoutFree(source: string): LayoutFree {
  const out: string[] = [];
  const map = new Int32Array(source.length);
  let n = 0;
  let pendingSpace = -1;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (WHITESPACE.test(ch)) {
      if (pendingSpace < 0) pendingSpace = i;
      continue;
    }
    if (pendingSpace >= 0 && n > 0) {
      out.push(' ');
      map[n++] = pendingSpace;
    }
    pendingSpace = -1;
    out.push(ch);
    map[n++] = i;
  }
  return { text: out.join(''), toSource: map.slice(0, n), sourceLength: source.length };
}

/** A span [start, end) of the scored form as a span of the original text. */
export function spanInSource(l: LayoutFree, start: number, end: number): { start: number; end: number } {
  const s = start < l.toSource.length ? l.toSource[start]! : l.sourceLength;
  const e = end <= 0 ? s : end - 1 < l.toSource.length ? l.toSource[end - 1]! + 1 : l.sourceLength;
  return { start: s, end: Math.max(s, e) };
}
