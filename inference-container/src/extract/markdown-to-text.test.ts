import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { markdownToText } from './markdown-to-text.ts';

/** Runs `f` under a hard deadline that interrupts even a running regular expression. */
const within = <T>(ms: number, f: () => T): T => vm.runInNewContext('f()', { f }, { timeout: ms }) as T;

describe('markdownToText on hostile input', () => {
  // Each of these once cost time quadratic in the line's length: 200 KB of them took about 19 s,
  // past the extraction deadline. Linear, they take milliseconds; the deadline is generous.
  it('reads a 200 KB line of spaces, and of spaces after a pipe, in one pass', () => {
    expect(within(5000, () => markdownToText(`${' '.repeat(200_000)}x`).text)).toBe('x');
    expect(within(5000, () => markdownToText(`|${' '.repeat(200_000)}x`).text)).toBe('x');
  });

  it('still drops table separator rows', () => {
    expect(markdownToText('| a | b |\n| --- | :---: |\n| c | d |').text).toBe('a b\nc d');
  });
});
