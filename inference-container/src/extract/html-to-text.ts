// A linear scan rather than regular expressions over the whole document: hostile HTML must not be
// able to trigger catastrophic backtracking, and no DOM is built for a 10 MB upload.

/** Elements whose content is never prose a person wrote for the page's reader. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'math', 'iframe', 'object', 'select', 'textarea', 'button']);
const PARAGRAPH = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'table',
  'ul',
  'ol',
  'dl',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'aside',
  'nav',
  'figure',
  'hr',
  'form',
  'fieldset',
  'address',
  'details',
]);
const LINE = new Set(['br', 'div', 'li', 'tr', 'dt', 'dd', 'figcaption', 'caption', 'summary', 'option', 'legend']);
const CELL = new Set(['td', 'th']);

const LINE_MARK = '\u0001';
const PARA_MARK = '\u0002';

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  ccedil: 'ç',
  uuml: 'ü',
  ouml: 'ö',
  auml: 'ä',
  szlig: 'ß',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const cp = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      // Surrogates and out-of-range references are not characters; drop them instead of throwing.
      if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '';
      return String.fromCodePoint(cp);
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** Index just past the `>` that ends the tag opened at `lt`, honouring quoted attribute values. */
function tagEnd(html: string, lt: number): number {
  let quote = '';
  for (let i = lt + 1; i < html.length; i++) {
    const ch = html[i]!;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return i + 1;
  }
  return html.length;
}

/** Readable text from an HTML document: tags, scripts, styles and comments removed, blocks kept apart. */
export function htmlToText(html: string): string {
  html = html.replace(/[\u0001\u0002]/g, '');
  const out: string[] = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)/.exec(html.slice(lt, lt + 64));
    if (!m) {
      // `<!doctype>`, `<?xml?>` and the like carry no text; a bare `<` is text.
      if (html[lt + 1] === '!' || html[lt + 1] === '?') i = tagEnd(html, lt);
      else {
        out.push('<');
        i = lt + 1;
      }
      continue;
    }
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    i = tagEnd(html, lt);
    if (!closing && SKIPPED.has(name) && html[i - 2] !== '/') {
      const closer = new RegExp(`</${name}`, 'gi');
      closer.lastIndex = i;
      const close = closer.exec(html);
      i = close === null ? html.length : tagEnd(html, close.index);
      out.push('\n');
      continue;
    }
    if (PARAGRAPH.has(name)) out.push(PARA_MARK);
    else if (LINE.has(name)) out.push(LINE_MARK);
    else if (CELL.has(name)) out.push(' ');
  }
  // Adjacent boundaries (</li><li>, </p><p>) make one break, a paragraph break if any of them is one.
  // Whole whitespace runs are matched (no required marker inside the pattern) so the scan stays linear.
  const joined = out.join('').replace(/[\s\u0001\u0002]+/g, (run) => (run.includes(PARA_MARK) ? '\n\n' : run.includes(LINE_MARK) ? '\n' : run));
  return tidy(decodeEntities(joined));
}

/** Collapses runs of spaces within lines and of blank lines between paragraphs. */
export function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
