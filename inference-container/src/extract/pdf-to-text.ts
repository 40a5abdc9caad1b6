import type { getDocumentProxy } from 'unpdf';
import { ApiError } from '@detector/contract';

export interface PdfText {
  pages: string[];
}

interface TextItem {
  str?: string;
  hasEOL?: boolean;
}

// Characters the clean-up after extraction removes; only the rest count towards the limit.
const DROPPED = /[\s\u0000-\u001F\u007F-\u009F\uFFFD]/g;

/**
 * The text layer of every page; refuses documents over the page limit before reading any page,
 * and stops reading as soon as the text pdf.js has produced is over `maxChars` (a content stream
 * that inflates to megabytes of drawing, or forms that draw each other over and over, would
 * otherwise be read to the end before the length is checked).
 */
export async function pdfToText(bytes: Uint8Array, maxPages: number, maxChars = Infinity): Promise<PdfText> {
  const { getDocumentProxy: open } = await import('unpdf');
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
    const pages: string[] = [];
    let kept = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const reader = (await doc.getPage(n)).streamTextContent().getReader();
      let page = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const item of value.items as TextItem[]) {
          if (item.str == null) continue;
          page += item.str + (item.hasEOL ? '\n' : '');
          kept += item.str.length - (item.str.match(DROPPED)?.length ?? 0);
        }
        if (kept > maxChars) {
          await reader.cancel(new Error('over the text limit')).catch(() => undefined);
          throw new ApiError('text_too_long', `the document holds more than ${maxChars} characters; at most ${maxChars} are returned`);
        }
      }
      pages.push(page);
    }
    return { pages };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('unreadable_file', 'the PDF could not be read: a page is damaged');
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
