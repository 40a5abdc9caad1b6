import zlib from 'node:zlib';
import sharp from 'sharp';
import { docxEntries, makeZip } from './test-fixtures.ts';

/**
 * Hostile uploads from issue 11, generated at test time so no binary blob is committed and the
 * attack each file carries can be read here. Sizes are parameters: tests use smaller variants than
 * the ones that were reported, the bench (bench-hostile.ts) the reported sizes.
 */

/** A deterministic generator, so each run builds the same file. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s;
  };
}

const WORDS = ['harbour', 'rope', 'weather', 'ledger', 'tide', 'anchor', 'sail', 'keel'];

/**
 * A .docx whose package relationship sends the parser to `word/body.bin`, a part that is XML in
 * all but name and holds about `xmlBytes` of paragraphs; the `word/document.xml` a name-based
 * check looks at stays tiny. `target` is how the relationship spells the part's path. Random words keep it under the zip ratio limit, as a real attack must.
 */
export function makeDecoyDocx(xmlBytes: number, target = 'word/body.bin'): Buffer {
  const next = prng(11);
  const paras: string[] = [];
  let size = 0;
  while (size < xmlBytes) {
    const p = `<w:p><w:r><w:t>${WORDS[next() >>> 30]} ${WORDS[next() >>> 29]}</w:t></w:r></w:p>`;
    paras.push(p);
    size += p.length;
  }
  const body = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paras.join('')}</w:body></w:document>`;
  const entries = docxEntries(['a decoy that stays small']).map((e) =>
    e.name === '_rels/.rels' ? { ...e, data: String(e.data).replace('Target="word/document.xml"', `Target="${target}"`) } : e,
  );
  return makeZip([...entries, { name: 'word/body.bin', data: body }]);
}

/** A PDF from object bodies (object n is `objects[n - 1]`, the catalogue is object 1), with a correct xref table. */
export function makeRawPdf(objects: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), Buffer.from('\nendobj\n')]);
    offsets.push(offset);
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return Buffer.concat(parts);
}

const stream = (dict: string, data: Buffer | string, deflate = false): Buffer => {
  const raw = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
  const body = deflate ? zlib.deflateSync(raw, { level: 9 }) : raw;
  return Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${body.length}${deflate ? ' /Filter /FlateDecode' : ''} >>\nstream\n`),
    body,
    Buffer.from('\nendstream'),
  ]);
};

const PAGE_HEAD = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'];
const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

/**
 * A few kilobytes of PDF whose page draws form XObject 0, which draws form 1 `fanout` times, and so
 * on `depth` levels down to a form that shows one word: fanout^depth text draws (10^6 by default).
 */
export function makeXObjectBombPdf(depth = 6, fanout = 10): Buffer {
  // Objects: 1 catalogue, 2 pages, 3 page, 4 font, 5 page content, 6.. the forms.
  const form = (i: number) => 6 + i;
  const forms = Array.from({ length: depth + 1 }, (_, i) =>
    i < depth
      ? stream(`/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X ${form(i + 1)} 0 R >> >>`, '/X Do\n'.repeat(fanout))
      : stream('/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >>', 'BT /F1 12 Tf 72 700 Td (word) Tj ET'),
  );
  return makeRawPdf([
    ...PAGE_HEAD,
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X0 ${form(0)} 0 R >> >> /Contents 5 0 R >>`,
    FONT,
    stream('', '/X0 Do'),
    ...forms,
  ]);
}

/** A one-page PDF whose deflated content stream inflates to about `inflatedBytes` of text-drawing operators. */
export function makeInflateBombPdf(inflatedBytes: number): Buffer {
  const next = prng(4);
  const lines: string[] = [];
  let size = 0;
  while (size < inflatedBytes) {
    const line = `BT /F1 9 Tf ${(next() >>> 31) * 60} 700 Td (line) Tj ET\n`;
    lines.push(line);
    size += line.length;
  }
  return makeRawPdf([
    ...PAGE_HEAD,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    FONT,
    stream('', lines.join(''), true),
  ]);
}

/** A blank white PNG of `side` x `side` pixels: tiny on the wire, `side`² pixels once decoded. */
export function makeBlankPng(side: number): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: '#ffffff' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}
