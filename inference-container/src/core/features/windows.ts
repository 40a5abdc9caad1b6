import type { WindowSpan } from '@detector/contract';

/**
 * Splits a text's tokens into windows the model can take whole. Consecutive windows overlap so
 * that tokens at a boundary still see context; nothing is ever dropped.
 */
export function planWindows(tokenCount: number, maxTokens: number, overlap: number): Array<{ start: number; end: number }> {
  if (maxTokens < 1) throw new RangeError('maxTokens must be positive');
  const ov = Math.min(overlap, Math.floor(maxTokens / 2));
  const stride = maxTokens - ov;
  const windows: Array<{ start: number; end: number }> = [];
  for (let start = 0; ; start += stride) {
    const end = Math.min(start + maxTokens, tokenCount);
    windows.push({ start, end });
    if (end >= tokenCount) break;
  }
  return windows;
}

export function windowSpans(windows: Array<{ start: number; end: number }>, starts: number[], ends: number[]): WindowSpan[] {
  return windows.map((w) => ({
    token_start: w.start,
    token_end: w.end,
    char_start: starts[w.start] ?? 0,
    char_end: ends[w.end - 1] ?? 0,
  }));
}
