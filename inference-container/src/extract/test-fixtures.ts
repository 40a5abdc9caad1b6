import zlib from 'node:zlib';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { loadExtractConfig, type ExtractConfig } from './config.ts';

/** Fixtures are generated at test time so that what each test feeds in is visible in the test. */

export function testConfig(env: Record<string, string> = {}): ExtractConfig {
  return loadExtractConfig({ OCR_THREADS: '2', ...env });
}

export async function makePdf(pages: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = doc.addPage([612, 792]);
    if (text) page.drawText(text, { x: 50, y: 700, size: 12, font, maxWidth: 500, lineHeight: 16 });
  }
  return doc.save();
}

export interface ZipEntry {
  name: string;
  data: Buffer | string;
  /** Write this uncompressed size into the headers instead of the true one. */
  declaredSize?: number;
}

/** A minimal ZIP writer (deflate), able to lie about sizes the way hostile archives do. */
export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
    const packed = zlib.deflateRawSync(data);
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? data.length;
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function docxEntries(paragraphs: string[]): ZipEntry[] {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`).join('');
  return [
    {
      name: '[Content_Types].xml',
      data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      data: '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    },
    {
      name: 'word/document.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    },
  ];
}

export const makeDocx = (paragraphs: string[]) => makeZip(docxEntries(paragraphs));

/** Black text on white, one SVG <text> per line, rendered by sharp with the system's DejaVu fonts. */
export function textSvg(lines: string[], { width = 1000, fontSize = 32 } = {}): Buffer {
  const lineHeight = Math.round(fontSize * 1.6);
  const height = lineHeight * (lines.length + 1);
  const texts = lines
    .map((l, i) => `<text x="30" y="${lineHeight * (i + 1)}" font-family="DejaVu Sans" font-size="${fontSize}" fill="#111">${xmlEscape(l)}</text>`)
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`,
  );
}

export const makeTextPng = (lines: string[]) => sharp(textSvg(lines)).png().toBuffer();

/** A PNG whose header claims `width` x `height` pixels around one real pixel's worth of data. */
export async function makePngBomb(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  // IHDR is the first chunk: length (4), type (4), width (4), height (4), ..., CRC after 13 data bytes.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

/** Seven lines of a paragraph, as a screenshot of running text would show them. */
export const PARAGRAPH_LINES = [
  'The committee met on Tuesday to discuss the budget for the coming',
  'year and agreed to publish the minutes before the weekend so that',
  'members who could not attend would still be able to read what was',
  'decided. Several questions were raised about the cost of repairs to',
  'the old library roof, and the treasurer promised a full estimate by',
  'the next meeting. The chair thanked everyone for their patience and',
  'closed the meeting shortly after nine in the evening as planned.',
];

/**
 * A screenshot of `lines` filling a `width` x `height` picture, the font sized to fit, as the
 * reports that found OCR slow and its word spacing lost described them (800x200, 1000x420).
 */
export function makeScreenshotPng(width: number, height: number, lines = PARAGRAPH_LINES): Promise<Buffer> {
  const lineHeight = height / (lines.length + 0.6);
  const fontSize = Math.floor(Math.min(lineHeight / 1.3, (width - 24) / (0.56 * Math.max(...lines.map((l) => l.length)))));
  const texts = lines
    .map(
      (l, i) => `<text x="12" y="${Math.round(lineHeight * (i + 0.9))}" font-family="DejaVu Sans" font-size="${fontSize}" fill="#111">${xmlEscape(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
