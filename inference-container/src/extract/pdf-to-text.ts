import type { getDocumentProxy } from 'unpdf';
import { ApiError } from '../errors.ts';

export interface PdfText {
  pages: string[];
}

/** The text layer of every page; refuses documents over the page limit before reading any page. */
export async function pdfToText(bytes: Uint8Array, maxPages: number): Promise<PdfText> {
  const { extractText, getDocumentProxy: open } = await import('unpdf');
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of the buffer it is given; hand it a copy.
    doc = await open(new Uint8Array(bytes), {
      verbosity: 0,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
    });
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'PasswordException') throw new ApiError('unreadable_file', 'the PDF is password-protected; remove the password and upload it again');
    throw new ApiError('unreadable_file', 'the PDF is damaged or not a PDF document');
  }
  try {
    if (doc.numPages > maxPages) {
      throw new ApiError('too_many_pages', `the PDF has ${doc.numPages} pages; at most ${maxPages} are read`);
    }
    const { text } = await extractText(doc, { mergePages: false });
    return { pages: text };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('unreadable_file', 'the PDF could not be read: a page is damaged');
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
