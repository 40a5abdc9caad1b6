import type { ExtractMethod, ExtractResponse, ExtractWarning } from '@detector/contract';
import { ApiError } from '@detector/contract';
import type { ExtractConfig } from './config.ts';
import { docxToText } from './docx-to-text.ts';
import { htmlToText, tidy } from './html-to-text.ts';
import { markdownToText } from './markdown-to-text.ts';
import type { OcrEngine } from './ocr-engine.ts';
import { pdfToText } from './pdf-to-text.ts';
import { isBlank, prepareImage } from './prepare-image.ts';
import { claimedKind, decodeText, sniff, textFlavour } from './sniff.ts';

export interface Upload {
  bytes: Uint8Array;
  filename?: string;
  /** The type the client declared; only a hint for text files, never trusted for binary ones. */
  contentType?: string;
}

const ACCEPTED = '.txt, .md, .html, .pdf, .docx, .png, .jpg or .webp';
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const KIND_NAME: Record<string, string> = {
  pdf: 'a PDF',
  zip: 'a Word document',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  webp: 'a WebP image',
  text: 'a text file',
};
// Controls other than tab and newlines, and the replacement character, are debris of extraction.
const DEBRIS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * PDF text comes one visual line at a time; sentences broken across lines read as fragments to
 * the detector, so lines within a paragraph are joined and words hyphenated at a line end mended.
 */
export function unwrapLines(text: string): string {
  return text.replace(/([a-z])-\n(?=[a-z])/g, '$1').replace(/([^\n])\n(?=[^\n])/g, '$1 ');
}

/**
 * Whether OCR text looks like words run together: a run of over 20 letters (longer than nearly
 * every English word), or words averaging over 8 letters (English prose averages under 5).
 */
export function spacingLooksLost(text: string): boolean {
  const words = text.match(/\p{L}+/gu) ?? [];
  if (words.some((w) => w.length > 20)) return true;
  return words.length >= 4 && words.reduce((n, w) => n + w.length, 0) / words.length > 8;
}

/** Turns an uploaded file or image into text, judging its type by its bytes. */
export async function extractFile(upload: Upload, cfg: ExtractConfig, ocr: OcrEngine): Promise<ExtractResponse> {
  const { bytes, filename, contentType } = upload;
  if (bytes.length === 0) throw new ApiError('no_text_found', 'the file is empty');
  if (bytes.length > cfg.EXTRACT_MAX_BYTES) {
    throw new ApiError('payload_too_large', `the file is ${bytes.length} bytes; at most ${cfg.EXTRACT_MAX_BYTES} are accepted`);
  }
  const sniffed = sniff(bytes);
  if (sniffed.kind === 'other') {
    throw new ApiError('unsupported_media_type', `the file is ${sniffed.name}; send ${ACCEPTED}`);
  }
  const warnings: ExtractWarning[] = [];
  const claimed = claimedKind(filename, contentType);
  if (claimed && claimed !== sniffed.kind) {
    warnings.push({
      code: 'type_mismatch',
      message: `the file was sent as ${KIND_NAME[claimed]} but its content is ${KIND_NAME[sniffed.kind]}; it was read as what it is`,
    });
  }

  let text: string;
  let method: ExtractMethod;
  let mediaType: string = sniffed.mediaType;
  let pages: number | undefined;
  switch (sniffed.kind) {
    case 'text': {
      const raw = decodeText(bytes)!;
      method = textFlavour(filename, contentType, raw);
      if (method === 'html') {
        text = htmlToText(raw);
        mediaType = 'text/html';
      } else if (method === 'markdown') {
        const md = markdownToText(raw);
        text = md.text;
        mediaType = 'text/markdown';
        if (md.codeRemoved) warnings.push({ code: 'code_removed', message: 'code blocks were left out: code is not prose' });
      } else text = tidy(raw);
      break;
    }
    case 'pdf': {
      const pdf = await pdfToText(bytes, cfg.EXTRACT_MAX_PDF_PAGES, cfg.EXTRACT_MAX_CHARS);
      method = 'pdf';
      pages = pdf.pages.length;
      const blank = pdf.pages.filter((p) => p.trim() === '').length;
      if (blank === pages) {
        throw new ApiError('no_text_found', 'the PDF has no text layer (a scan?); upload the pages as images to read them by OCR');
      }
      if (blank > 0) warnings.push({ code: 'empty_pages', message: `${blank} of ${pages} pages have no text layer and were skipped` });
      text = pdf.pages
        .map((p) => unwrapLines(tidy(p)))
        .filter(Boolean)
        .join('\n\n');
      break;
    }
    case 'zip':
      method = 'docx';
      mediaType = DOCX_TYPE;
      text = tidy(
        await docxToText(bytes, {
          maxEntries: cfg.EXTRACT_MAX_ZIP_ENTRIES,
          maxUnzippedBytes: cfg.EXTRACT_MAX_UNZIPPED_BYTES,
          maxRatio: cfg.EXTRACT_MAX_ZIP_RATIO,
          maxXmlBytes: cfg.EXTRACT_MAX_XML_BYTES,
        }),
      );
      break;
    default: {
      const image = await prepareImage(bytes, { maxPixels: cfg.EXTRACT_MAX_PIXELS, maxSide: cfg.OCR_MAX_SIDE });
      const read = isBlank(image) ? { text: '', confidence: 0 } : await ocr.read(image);
      method = 'ocr';
      text = read.text;
      warnings.push({ code: 'ocr', message: 'the text was read from an image by OCR; check it before relying on the score' });
      if (text && read.confidence * 100 < cfg.OCR_MIN_CONFIDENCE) {
        warnings.push({ code: 'low_confidence', message: `the image was hard to read (confidence ${Math.round(read.confidence * 100)}%)` });
      } else if (spacingLooksLost(text)) {
        // The recogniser is sure of each letter yet can drop the spaces between words, and run-together words score as nonsense.
        warnings.push({ code: 'low_confidence', message: 'the spaces between some words were not recognised; check the text before relying on the score' });
      }
    }
  }

  text = text.replace(DEBRIS, '').replace(LONE_SURROGATE, '').trim();
  if (text === '') throw new ApiError('no_text_found', `no text was found in the ${KIND_NAME[sniffed.kind]!.replace(/^an? /, '')}`);
  if (text.length > cfg.EXTRACT_MAX_CHARS) {
    throw new ApiError('text_too_long', `the document holds ${text.length} characters; at most ${cfg.EXTRACT_MAX_CHARS} are returned`);
  }
  return { text, media_type: mediaType, method, ...(pages !== undefined ? { pages } : {}), chars: text.length, warnings };
}
