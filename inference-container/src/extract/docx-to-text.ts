import { ApiError } from '@detector/contract';
import { checkZip, type ZipLimits } from './zip-guard.ts';

/** The body text of a Word document, after the archive has passed the zip-bomb checks. */
export async function docxToText(bytes: Uint8Array, limits: ZipLimits): Promise<string> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = checkZip(buf, limits);
  if (!entries.some((e) => e.name === 'word/document.xml')) {
    throw new ApiError('unsupported_media_type', 'the file is a ZIP archive but not a Word (.docx) document');
  }
  // Loaded on first use, like every format library, to keep the service's start-up short.
  const { default: mammoth } = await import('mammoth');
  try {
    const { value } = await mammoth.extractRawText({ buffer: buf });
    return value;
  } catch {
    throw new ApiError('unreadable_file', 'the Word document is damaged and could not be read');
  }
}
