import zlib from 'node:zlib';
import { ApiError } from '@detector/contract';
import { decodeEntities } from './html-to-text.ts';

export interface ZipLimits {
  maxEntries: number;
  maxUnzippedBytes: number;
  maxRatio: number;
  /** XML parts are parsed into a DOM several times their size; media entries are never parsed. */
  maxXmlBytes: number;
}

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  size: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
// Ratios are only meaningful for large entries: a tiny XML part of repeated spaces compresses hard.
const RATIO_FLOOR_BYTES = 1024 * 1024;
const XML_NAME = /\.(xml|rels)$/i;

const unreadable = (why: string) => new ApiError('unreadable_file', `the .docx archive is damaged: ${why}`);
const tooBig = (why: string) => new ApiError('archive_too_large', `the .docx archive is refused: ${why}`);

/**
 * Walks a ZIP archive's central directory and inflates every entry under a hard output cap before
 * any library unpacks it, so a zip bomb is refused on what it declares and on what it really holds.
 */
export function checkZip(buf: Buffer, limits: ZipLimits): ZipEntryInfo[] {
  const eocd = findEocd(buf);
  if (eocd < 0) throw unreadable('no end-of-archive record');
  const declaredEntries = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (declaredEntries === 0xffff || cdOffset === 0xffffffff) throw tooBig('ZIP64 archives are not accepted');
  if (declaredEntries > limits.maxEntries) throw tooBig(`${declaredEntries} entries (limit ${limits.maxEntries})`);
  if (cdOffset + cdSize > eocd) throw unreadable('the central directory lies outside the file');
  // Readers that find the directory relative to the end record (JSZip does) would read other
  // bytes than the offset names when there is a gap; refuse rather than check one and parse another.
  if (cdOffset + cdSize !== eocd) throw unreadable('bytes lie between the central directory and its end record');

  const entries: ZipEntryInfo[] = [];
  let declaredTotal = 0;
  let actualTotal = 0;
  let xmlTotal = 0;
  const rels = new Map<string, string>();
  const spans: Span[] = [];
  const tooXml = () => tooBig(`its XML parts unpack to more than ${limits.maxXmlBytes} bytes`);
  let p = cdOffset;
  while (p < cdOffset + cdSize) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw unreadable('a broken central directory entry');
    if (entries.length >= limits.maxEntries) throw tooBig(`more than ${limits.maxEntries} entries`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;

    if (flags & 1) throw unreadable('it is encrypted');
    if (size === 0xffffffff || compressedSize === 0xffffffff) throw tooBig('ZIP64 entries are not accepted');
    declaredTotal += size;
    if (declaredTotal > limits.maxUnzippedBytes) throw tooBig(`it unpacks to more than ${limits.maxUnzippedBytes} bytes`);
    if (XML_NAME.test(name)) {
      xmlTotal += size;
      if (xmlTotal > limits.maxXmlBytes) throw tooXml();
    }
    if (size > RATIO_FLOOR_BYTES && size > compressedSize * limits.maxRatio) {
      throw tooBig(`entry ${JSON.stringify(name.slice(0, 100))} claims a compression ratio over ${limits.maxRatio}:1`);
    }

    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL) throw unreadable('a missing local header');
    // A reader may trust either copy of an entry's header; both must say the same.
    const localName = buf.toString('utf8', localOffset + 30, localOffset + 30 + buf.readUInt16LE(localOffset + 26));
    const localFlags = buf.readUInt16LE(localOffset + 6);
    const sizesInDescriptor = (localFlags & 8) !== 0;
    if (
      localName !== name ||
      buf.readUInt16LE(localOffset + 8) !== method ||
      (!sizesInDescriptor && (buf.readUInt32LE(localOffset + 18) !== compressedSize || buf.readUInt32LE(localOffset + 22) !== size))
    ) {
      throw unreadable(`the local header of entry ${JSON.stringify(name.slice(0, 100))} disagrees with the central directory`);
    }
    const dataStart = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    if (dataStart + compressedSize > buf.length) throw unreadable('an entry runs past the end of the file');
    const data = buf.subarray(dataStart, dataStart + compressedSize);
    const out = inflate(data, method, size, name);
    actualTotal += out.length;
    if (actualTotal > limits.maxUnzippedBytes) throw tooBig(`it unpacks to more than ${limits.maxUnzippedBytes} bytes`);
    if (/\.rels$/i.test(name)) rels.set(name, out.toString('utf8'));
    entries.push({ name, compressedSize, size });
    spans.push({ start: localOffset, end: dataStart + compressedSize, descriptor: sizesInDescriptor });
  }
  checkLocalEntries(buf, spans, cdOffset);

  // The parser follows relationships, not names: a part the package points it at is parsed as XML
  // whatever it is called, so it counts against the XML limit too.
  const parsed = new Set([...entries.filter((e) => XML_NAME.test(e.name)).map((e) => e.name), ...relationshipTargets(rels)]);
  const parsedTotal = entries.reduce((n, e) => n + (parsed.has(e.name) ? e.size : 0), 0);
  if (parsedTotal > limits.maxXmlBytes) throw tooXml();
  return entries;
}

/**
 * The entries the central directory lists must be the archive's only contents, laid end to end
 * from the start: a local entry it does not list, or two that overlap, is what a reader walking the
 * local headers would see and this check would not.
 */
interface Span {
  start: number;
  end: number;
  /** The entry's sizes follow its data (flag bit 3). */
  descriptor: boolean;
}

function checkLocalEntries(buf: Buffer, spans: Span[], cdOffset: number): void {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const span of sorted) {
    if (span.start !== at) throw unreadable('its entries do not follow one another as the central directory lists them');
    at = span.end;
    // The data descriptor, with or without its optional signature.
    if (span.descriptor) at += at + 4 <= buf.length && buf.readUInt32LE(at) === 0x08074b50 ? 16 : 12;
  }
  if (at !== cdOffset) throw unreadable('it holds data the central directory does not list');
}

// Relationships to parts the parser keeps as bytes or never opens; any other target may be parsed.
const BINARY_RELATIONSHIP = /\/(image|oleObject|package|font|audio|video|media|hdphoto|vbaProject|hyperlink)$/i;

/** The archive paths that internal, non-binary relationships in the `.rels` parts point to. */
function relationshipTargets(rels: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [relsPath, xml] of rels) {
    // `dir/_rels/name.rels` describes `dir/name`; its targets are relative to `dir`.
    const base = relsPath.replace(/(^|\/)_rels\/[^/]*$/, '');
    for (const [element] of xml.matchAll(/<(?:\w+:)?Relationship\b[^>]*>/g)) {
      const attr = (n: string) => {
        const m = new RegExp(`\\b${n}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(element);
        // Entities are decoded as the parser's XML reader would: `bod&#121;.bin` is `body.bin`.
        return m ? decodeEntities(m[1] ?? m[2]!) : undefined;
      };
      const target = attr('Target');
      if (!target || /^external$/i.test(attr('TargetMode') ?? '') || BINARY_RELATIONSHIP.test(attr('Type') ?? '')) continue;
      const joined = target.startsWith('/') ? target.slice(1) : base ? `${base}/${target}` : target;
      // Both the path as the parser joins it and as a normalising reader would resolve it.
      out.push(joined, normalise(joined), normalise(safeDecode(joined)));
    }
  }
  return out;
}

function normalise(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function inflate(data: Buffer, method: number, declared: number, name: string): Buffer {
  if (method === 0) {
    if (data.length !== declared) throw unreadable(`stored entry ${JSON.stringify(name.slice(0, 100))} has the wrong size`);
    return data;
  }
  if (method !== 8) throw unreadable(`entry ${JSON.stringify(name.slice(0, 100))} uses compression method ${method}`);
  let out: Buffer;
  try {
    // One byte over the declared size is enough to catch an entry that lies about its size.
    out = zlib.inflateRawSync(data, { maxOutputLength: declared + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooBig(`entry ${JSON.stringify(name.slice(0, 100))} unpacks to more than it declares`);
    }
    throw unreadable(`entry ${JSON.stringify(name.slice(0, 100))} does not inflate`);
  }
  if (out.length !== declared) throw unreadable(`entry ${JSON.stringify(name.slice(0, 100))} has the wrong size`);
  return out;
}

function findEocd(buf: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === EOCD) return i;
  }
  return -1;
}
