/** What the bytes of an upload are, judged by their content and never by the name they came with. */
export type Sniffed =
  | { kind: 'pdf' | 'zip' | 'png' | 'jpeg' | 'webp'; mediaType: string }
  | { kind: 'text'; mediaType: 'text/plain' }
  | { kind: 'other'; mediaType: string; name: string };

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

// Binary formats people upload by mistake, named so the refusal says what was sent.
const OTHER: Array<{ sig: number[]; at?: number; mediaType: string; name: string }> = [
  { sig: ascii('GIF8'), mediaType: 'image/gif', name: 'a GIF image' },
  { sig: [0x49, 0x49, 0x2a, 0x00], mediaType: 'image/tiff', name: 'a TIFF image' },
  { sig: [0x4d, 0x4d, 0x00, 0x2a], mediaType: 'image/tiff', name: 'a TIFF image' },
  { sig: ascii('BM'), mediaType: 'image/bmp', name: 'a BMP image' },
  { sig: ascii('ftypheic'), at: 4, mediaType: 'image/heic', name: 'a HEIC image' },
  { sig: ascii('ftypavif'), at: 4, mediaType: 'image/avif', name: 'an AVIF image' },
  { sig: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], mediaType: 'application/x-ole-storage', name: 'an old Office (.doc/.xls) file' },
  { sig: [0x1f, 0x8b], mediaType: 'application/gzip', name: 'a gzip archive' },
  { sig: ascii('7z'), mediaType: 'application/x-7z-compressed', name: 'a 7-Zip archive' },
  { sig: ascii('Rar!'), mediaType: 'application/vnd.rar', name: 'a RAR archive' },
  { sig: [0x7f, 0x45, 0x4c, 0x46], mediaType: 'application/x-executable', name: 'an executable' },
  { sig: ascii('MZ'), mediaType: 'application/x-msdownload', name: 'an executable' },
];

/**
 * PDF readers accept the `%PDF-n.n` header anywhere in the first 1 KiB, after a binary prefix (a
 * MacBinary or mail header). A text that merely mentions `%PDF-` is prose before it, so the header
 * counts only at the start or after bytes with no two words of text in them.
 */
function isPdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const at = head.search(/%PDF-\d\.\d/);
  if (at < 0) return false;
  return at === 0 || !/[A-Za-z]{2,}[ \t]+[A-Za-z]{2,}/.test(head.slice(0, at));
}

export function sniff(bytes: Uint8Array): Sniffed {
  if (isPdf(bytes)) return { kind: 'pdf', mediaType: 'application/pdf' };
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    return { kind: 'zip', mediaType: 'application/zip' };
  }
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'png', mediaType: 'image/png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'jpeg', mediaType: 'image/jpeg' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { kind: 'webp', mediaType: 'image/webp' };
  // RTF is text on the wire but markup to a reader; refuse it rather than score its control words.
  if (startsWith(bytes, ascii('{\\rtf'))) return { kind: 'other', mediaType: 'application/rtf', name: 'an RTF document' };
  // Binary formats fail text decoding, so short signatures such as "BM" cannot shadow a text file.
  const text = decodeText(bytes);
  if (text !== null) {
    // Markup that is not a web page would be scored as angle brackets and attribute soup.
    const start = text.slice(0, 2048).replace(/^\s*(<\?xml[^>]{0,200}>\s*)?(<!--[^]{0,1000}?-->\s*)*/, '');
    if (/^<svg[\s>]/i.test(start)) return { kind: 'other', mediaType: 'image/svg+xml', name: 'an SVG image' };
    if (/^<\?xml/i.test(text.trimStart()) && !/^<(!doctype html|html)[\s>]/i.test(start)) {
      return { kind: 'other', mediaType: 'application/xml', name: 'an XML document' };
    }
    return { kind: 'text', mediaType: 'text/plain' };
  }
  for (const o of OTHER) {
    if (startsWith(bytes, o.sig, o.at ?? 0)) return { kind: 'other', mediaType: o.mediaType, name: o.name };
  }
  return { kind: 'other', mediaType: 'application/octet-stream', name: 'binary data of an unknown type' };
}

// Controls that never appear in real text files (tab, LF, FF and CR do).
const BINARY_CONTROL = /[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F]/;

/** Decodes UTF-8 (or UTF-16 with a byte-order mark); null when the bytes are not text. */
export function decodeText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    if (startsWith(bytes, [0xff, 0xfe])) text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    else if (startsWith(bytes, [0xfe, 0xff])) text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    else text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  return BINARY_CONTROL.test(text) ? null : text;
}

export type TextFlavour = 'plain' | 'markdown' | 'html';

const EXT_KIND: Record<string, string> = {
  pdf: 'pdf',
  docx: 'zip',
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  webp: 'webp',
  txt: 'text',
  text: 'text',
  md: 'text',
  markdown: 'text',
  html: 'text',
  htm: 'text',
  xhtml: 'text',
};
const TYPE_KIND: Record<string, string> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'zip',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
  'text/plain': 'text',
  'text/markdown': 'text',
  'text/html': 'text',
  'application/xhtml+xml': 'text',
};

export function extensionOf(filename: string | undefined): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(filename ?? '');
  return m ? m[1]!.toLowerCase() : '';
}

/** The kind the upload claimed through its name or content type, when it claimed one we know. */
export function claimedKind(filename: string | undefined, contentType: string | undefined): string | undefined {
  const ext = extensionOf(filename);
  if (ext && EXT_KIND[ext]) return EXT_KIND[ext];
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return TYPE_KIND[type];
}

/** Text files carry no magic bytes: the name, then the declared type, then the content decide. */
export function textFlavour(filename: string | undefined, contentType: string | undefined, text: string): TextFlavour {
  const ext = extensionOf(filename);
  if (ext === 'html' || ext === 'htm' || ext === 'xhtml') return 'html';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'txt' || ext === 'text') return 'plain';
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (type === 'text/markdown') return 'markdown';
  if (/^\s*(<\?xml[^>]{0,200}>\s*)?(<!doctype html|<html[\s>])/i.test(text.slice(0, 1024))) return 'html';
  return 'plain';
}
