import { describe, expect, it } from 'vitest';
import { layoutFree, spanInSource } from './layout.ts';

describe('layout-free form', () => {
  const published = 'It is a truth universally acknowledged.\n\nHowever little known   the feelings\r\nof such a man may be,\tthis truth is fixed.\n';
  const joined = published.replace(/\s*\n\s*/g, ' ');

  it('scores a text and the same text with its paragraphs joined identically', () => {
    expect(layoutFree(published).text).toBe(layoutFree(joined).text);
    expect(layoutFree(published).text).toBe(
      'It is a truth universally acknowledged. However little known the feelings of such a man may be, this truth is fixed.',
    );
  });

  it('maps spans of the scored form back onto the text as given', () => {
    const l = layoutFree(published);
    const start = l.text.indexOf('However'),
      end = l.text.indexOf('fixed.') + 'fixed.'.length;
    const s = spanInSource(l, start, end);
    expect(published.slice(s.start, s.end)).toBe('However little known   the feelings\r\nof such a man may be,\tthis truth is fixed.');
  });

  it('maps a span ending at the end of the form to the end of its last character', () => {
    const l = layoutFree('  two  words  ');
    expect(l.text).toBe('two words');
    expect(spanInSource(l, 0, l.text.length)).toEqual({ start: 2, end: 12 });
  });

  it('leaves a text without layout unchanged', () => {
    const t = 'Plain text, one line.';
    expect(layoutFree(t).text).toBe(t);
    expect(Array.from(layoutFree(t).toSource)).toEqual(Array.from(t, (_, i) => i));
  });
});
