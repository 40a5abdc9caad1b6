import type { Label, ScoredSpan } from '@detector/contract';

export const VERDICT: Record<Label, { title: string; detail: string }> = {
  ai: { title: 'Likely AI-written', detail: 'The score is above the threshold for this setting.' },
  human: { title: 'Likely human-written', detail: 'The score is below the threshold for this setting.' },
  uncertain: { title: 'Uncertain', detail: 'The detector abstained: see the notes below.' },
};

export const percent = (p: number) => `${Math.round(p * 100)}%`;

/** "about 1 in 100 human texts is flagged as AI" for a false-positive rate of 0.01. */
export function fprWords(fpr: number): string {
  if (!(fpr > 0)) return 'human texts are essentially never flagged as AI';
  if (fpr >= 0.5) return `about ${percent(fpr)} of human texts are flagged as AI`;
  return `about 1 in ${Math.round(1 / fpr)} human texts is flagged as AI`;
}

/** "about 1 in 25 machine texts is called human" for a miss rate of 0.04. */
export function missWords(miss: number): string {
  if (!(miss > 0)) return 'machine texts are essentially never called human';
  if (miss >= 0.5) return `about ${percent(miss)} of machine texts are called human`;
  return `about 1 in ${Math.round(1 / miss)} machine texts is called human`;
}

/** Five bands of sentence probability, each with a name for the legend and a CSS class. */
export const BANDS = [
  { max: 0.2, name: 'very human-like' },
  { max: 0.4, name: 'human-like' },
  { max: 0.6, name: 'unclear' },
  { max: 0.8, name: 'AI-like' },
  { max: Infinity, name: 'very AI-like' },
] as const;

export function band(probability: number): number {
  return BANDS.findIndex((b) => probability < b.max);
}

export interface Segment {
  text: string;
  /** Present on scored sentences; absent on the text between them. */
  probability?: number;
}

/**
 * Cuts `text` into scored sentences and the unscored text between them, in order and covering
 * every character once, whatever order or overlap the spans arrive in.
 */
export function segments(text: string, spans: ScoredSpan[] = []): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  const sorted = [...spans].sort((a, b) => a.char_start - b.char_start);
  for (const s of sorted) {
    const start = Math.max(at, Math.min(s.char_start, text.length));
    const end = Math.min(Math.max(s.char_end, start), text.length);
    if (end <= start) continue;
    if (start > at) out.push({ text: text.slice(at, start) });
    out.push({ text: text.slice(start, end), probability: s.probability });
    at = end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** "in 30 seconds", "in 2 minutes" for a Retry-After delay. */
export function retryWords(seconds: number): string {
  if (seconds < 90) return `in ${Math.max(1, Math.round(seconds))} second${Math.round(seconds) === 1 ? '' : 's'}`;
  if (seconds < 5400) return `in ${Math.round(seconds / 60)} minutes`;
  return `in ${Math.round(seconds / 3600)} hours`;
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, Math.ceil((when - now) / 1000));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
