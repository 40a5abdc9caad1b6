import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-to-text.ts';
import { markdownToText } from './markdown-to-text.ts';

describe('htmlToText', () => {
  it('keeps a bare < and a > inside quoted attributes from swallowing text', () => {
    expect(htmlToText('<p title="a > b">x < y and y > z</p>')).toBe('x < y and y > z');
  });

  it('drops an unclosed script to the end instead of leaking its code', () => {
    expect(htmlToText('<p>Before.</p><script>var secret = 1;')).toBe('Before.');
  });

  it('finds closing tags in any case and keeps table cells apart', () => {
    expect(htmlToText('<STYLE>p{}</sTyLe><table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>')).toBe('a b\nc');
  });

  it('drops character references that are not characters', () => {
    expect(decodeEntities('a&#0;b&#xD800;c&#x110000;d&bogus;')).toBe('abcd&bogus;');
  });
});

describe('hostile input', () => {
  // Each of these makes a backtracking pattern quadratic; a linear scan finishes them at once.
  const n = 200_000;
  it('HTML: a long whitespace run with no block boundary', () => {
    expect(htmlToText(`<p>a${' '.repeat(n)}b</p>`)).toBe('a b');
  });

  it('Markdown: long lines of unclosed brackets, parentheses and trailing spaces', () => {
    expect(markdownToText('['.repeat(n)).text).toHaveLength(n);
    expect(markdownToText(`[a](${'('.repeat(n)}`).text).toHaveLength(n + 4);
    expect(markdownToText(`# Title${' '.repeat(n)}x`).text).toBe('Title x');
    expect(markdownToText('## Closed heading ##').text).toBe('Closed heading');
  });
});

describe('markdownToText', () => {
  it('keeps the text of links, images, emphasis and tables', () => {
    const md = '![a chart](c.png) See [the docs][1].\n\n| Name | Role |\n| --- | :---: |\n| Ada | ~~eng~~ |\n\n[1]: https://example.com\n';
    expect(markdownToText(md)).toEqual({ text: 'a chart See the docs.\n\nName Role\nAda eng', codeRemoved: false });
  });
});
