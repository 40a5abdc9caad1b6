import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@detector/contract';
import { extractFile, spacingLooksLost, type Upload } from './extract-file.ts';
import { OcrEngine } from './ocr-engine.ts';
import { randomBytes } from 'node:crypto';
import { makeDecoyDocx, makeInflateBombPdf } from './hostile-fixtures.ts';
import { docxEntries, makeDocx, makePdf, makePngBomb, makeScreenshotPng, makeTextPng, makeZip, PARAGRAPH_LINES, testConfig, textSvg } from './test-fixtures.ts';

const cfg = testConfig();
const ocr = new OcrEngine({ threads: 2, queueMax: 4 });
const run = (u: Upload, c = cfg) => extractFile(u, c, ocr);
const text = (s: string, filename?: string, contentType?: string): Upload => ({ bytes: Buffer.from(s, 'utf8'), filename, contentType });

async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  const e = err as ApiError;
  return { code: e.code, status: e.status, message: e.message };
}

describe('text formats', () => {
  it('reads plain text, tidying whitespace but keeping paragraphs', async () => {
    const r = await run(text('\uFEFF  First   line of text.\r\n\r\n\r\n\r\nSecond paragraph.  \n', 'notes.txt'));
    expect(r).toEqual({ text: 'First line of text.\n\nSecond paragraph.', media_type: 'text/plain', method: 'plain', chars: 38, warnings: [] });
  });

  it('reads a text file that mentions the PDF header as text, not as a damaged PDF', async () => {
    const note = 'A PDF file starts with the bytes %PDF-1.7 and ends with %%EOF; this note explains the layout.';
    const r = await run(text(note, 'notes.txt'));
    expect(r).toMatchObject({ method: 'plain', text: note });
  });

  it('still reads a PDF whose header follows a binary prefix', async () => {
    const pdf = await makePdf(['A page of text after a prefix.']);
    const r = await run({ bytes: Buffer.concat([Buffer.from([0, 1, 2, 3, 0xff, 0xfe]), pdf]), filename: 'doc.pdf' });
    expect(r.method).toBe('pdf');
  });

  it('reads UTF-16 text that starts with a byte-order mark', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln.', 'utf16le')]);
    expect((await run({ bytes, filename: 'a.txt' })).text).toBe('Grüße aus Köln.');
  });

  it('strips Markdown markup and leaves code blocks out with a warning', async () => {
    const md =
      '---\ntitle: x\n---\n# A heading\n\nSome **bold** and _italic_ text with a [link](https://example.com).\n\n```js\nconst x = 1;\n```\n\n- item one\n- item two\n';
    const r = await run(text(md, 'post.md'));
    expect(r.method).toBe('markdown');
    expect(r.media_type).toBe('text/markdown');
    expect(r.text).toBe('A heading\n\nSome bold and italic text with a link.\n\nitem one\nitem two');
    expect(r.warnings.map((w) => w.code)).toEqual(['code_removed']);
  });

  it('turns HTML into readable text without scripts, styles or comments', async () => {
    const html = `<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body>
      <script>alert("x > y")</script><h1>Title &amp; more</h1><!-- hidden --><p>First <b>para</b>graph.</p>
      <p data-x="a>b">Caf&eacute; &#8212; &#x1F600;</p><ul><li>one</li><li>two</li></ul></body></html>`;
    const r = await run(text(html, 'page.html'));
    expect(r.method).toBe('html');
    expect(r.text).toBe('Title & more\n\nFirst paragraph.\n\nCafé — 😀\n\none\ntwo');
    expect(r.text).not.toMatch(/alert|color|hidden/);
  });

  it('recognises HTML by its content when the upload has no name', async () => {
    const r = await run(text('<html><body><p>Hello there.</p></body></html>'));
    expect(r).toMatchObject({ method: 'html', text: 'Hello there.' });
  });
});

describe('documents', () => {
  it('reads every page of a PDF', async () => {
    const r = await run({ bytes: await makePdf(['The first page speaks of rivers.', 'The second page speaks of hills.']), filename: 'doc.pdf' });
    expect(r).toMatchObject({ method: 'pdf', media_type: 'application/pdf', pages: 2, warnings: [] });
    expect(r.text).toBe('The first page speaks of rivers.\n\nThe second page speaks of hills.');
  });

  it('joins the wrapped lines of a PDF paragraph and mends hyphenated words', async () => {
    const long =
      'This sentence is long enough that the PDF writer wraps it over several lines of the page, and a care-\nful reader would never notice the breaks.';
    const r = await run({ bytes: await makePdf([long]) });
    expect(r.text).toBe(long.replace('-\n', ''));
  });

  it('says which PDF pages had no text layer', async () => {
    const r = await run({ bytes: await makePdf(['Only this page has text.', '']) });
    expect(r.pages).toBe(2);
    expect(r.warnings).toEqual([{ code: 'empty_pages', message: '1 of 2 pages have no text layer and were skipped' }]);
  });

  it('refuses a PDF over the page limit before reading it', async () => {
    const bytes = await makePdf(['a', 'b', 'c']);
    expect(await refusal(run({ bytes }, testConfig({ EXTRACT_MAX_PDF_PAGES: '2' })))).toMatchObject({ code: 'too_many_pages', status: 413 });
  });

  it('stops reading a PDF as soon as its text is over the limit', async () => {
    // About 50,000 text draws from a 2 MB content stream; reading stops after the first 2,500.
    const r = await refusal(run({ bytes: makeInflateBombPdf(2_000_000) }, testConfig({ EXTRACT_MAX_CHARS: '10000' })));
    expect(r).toMatchObject({ code: 'text_too_long', status: 413 });
  });

  it('answers no_text_found for a PDF without a text layer', async () => {
    expect(await refusal(run({ bytes: await makePdf(['', '']) }))).toMatchObject({ code: 'no_text_found', status: 422 });
  });

  it('answers unreadable_file for a corrupt PDF', async () => {
    const bytes = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage without a trailer');
    expect(await refusal(run({ bytes, filename: 'broken.pdf' }))).toMatchObject({ code: 'unreadable_file', status: 422 });
  });

  it('reads the paragraphs of a Word document', async () => {
    const r = await run({ bytes: makeDocx(['Dear reader,', 'This letter was typed in Word & saved as .docx.']), filename: 'letter.docx' });
    expect(r).toMatchObject({ method: 'docx', media_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
    expect(r.text).toBe('Dear reader,\n\nThis letter was typed in Word & saved as .docx.');
  });

  it('refuses a ZIP archive that is not a Word document', async () => {
    const bytes = makeZip([{ name: 'notes.txt', data: 'hello' }]);
    expect(await refusal(run({ bytes, filename: 'x.docx' }))).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });
});

describe('zip bombs in .docx', () => {
  it('refuses an archive that declares more than the unzipped limit', async () => {
    const entries = [...docxEntries(['x']), { name: 'word/media/big.bin', data: 'small', declaredSize: 3_000_000_000 }];
    const r = await refusal(run({ bytes: makeZip(entries) }));
    expect(r).toMatchObject({ code: 'archive_too_large', status: 413 });
    expect(r.message).toMatch(/unpacks to more than/);
  });

  it('refuses an entry that inflates past the size it declares', async () => {
    const entries = [...docxEntries(['x']), { name: 'word/media/liar.bin', data: Buffer.alloc(2_000_000), declaredSize: 100 }];
    const r = await refusal(run({ bytes: makeZip(entries) }));
    expect(r).toMatchObject({ code: 'archive_too_large' });
    expect(r.message).toMatch(/unpacks to more than it declares/);
  });

  it('refuses a highly compressed entry by its ratio before inflating it', async () => {
    const entries = [...docxEntries(['x']), { name: 'word/media/zeros.bin', data: Buffer.alloc(20_000_000) }];
    const r = await refusal(run({ bytes: makeZip(entries) }));
    expect(r.message).toMatch(/compression ratio over 200:1/);
  });

  it('refuses XML parts larger than the XML limit even when the archive is small', async () => {
    const big = `<w:document xmlns:w="x"><w:body>${'<w:p><w:r><w:t>word</w:t></w:r></w:p>'.repeat(40_000)}</w:body></w:document>`;
    const entries = docxEntries(['x']).map((e) => (e.name === 'word/document.xml' ? { ...e, data: big } : e));
    const r = await refusal(run({ bytes: makeZip(entries) }, testConfig({ EXTRACT_MAX_XML_BYTES: '1048576' })));
    expect(r).toMatchObject({ code: 'archive_too_large' });
    expect(r.message).toMatch(/XML parts unpack to more than 1048576 bytes/);
  });

  it('counts the part a relationship points the parser at, whatever its name', async () => {
    const r = await refusal(run({ bytes: makeDecoyDocx(2_000_000) }, testConfig({ EXTRACT_MAX_XML_BYTES: '1048576' })));
    expect(r).toMatchObject({ code: 'archive_too_large', status: 413 });
    expect(r.message).toMatch(/XML parts unpack to more than 1048576 bytes/);
  });

  it('decodes entities in a relationship target before resolving it', async () => {
    const bytes = makeDecoyDocx(2_000_000, '/word/bod&#121;.bin');
    expect(await refusal(run({ bytes }, testConfig({ EXTRACT_MAX_XML_BYTES: '1048576' })))).toMatchObject({ code: 'archive_too_large' });
  });

  it('does not count images, which the parser never reads as XML', async () => {
    const entries = [
      ...docxEntries(['A letter with a large photo.']),
      {
        name: 'word/_rels/document.xml.rels',
        data: '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/photo.bin"/></Relationships>',
      },
      { name: 'word/media/photo.bin', data: randomBytes(2_000_000) },
    ];
    const r = await run({ bytes: makeZip(entries) }, testConfig({ EXTRACT_MAX_XML_BYTES: '1048576' }));
    expect(r.text).toBe('A letter with a large photo.');
  });

  it('refuses archives with too many entries', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}.xml`, data: '<a/>' }));
    const bytes = makeZip([...docxEntries(['x']), ...many]);
    expect(await refusal(run({ bytes }, testConfig({ EXTRACT_MAX_ZIP_ENTRIES: '20' })))).toMatchObject({ code: 'archive_too_large' });
  });

  it('answers unreadable_file for a truncated archive', async () => {
    const bytes = makeDocx(['hello']).subarray(0, 200);
    expect(await refusal(run({ bytes, filename: 'cut.docx' }))).toMatchObject({ code: 'unreadable_file', status: 422 });
  });
});

describe('images', () => {
  it('reads the words of a rendered PNG by OCR', async () => {
    const png = await makeTextPng(['The quick brown fox jumps over', 'the lazy dog near the river.']);
    const r = await run({ bytes: png, filename: 'shot.png' });
    expect(r).toMatchObject({ method: 'ocr', media_type: 'image/png' });
    expect(r.text.toLowerCase()).toContain('quick brown fox jumps over the lazy dog');
    expect(r.warnings.map((w) => w.code)).toContain('ocr');
  });

  it.each([
    [800, 200],
    [1000, 420],
  ])('reads a %ix%i screenshot of a paragraph with every space between words', async (width, height) => {
    const r = await run({ bytes: await makeScreenshotPng(width, height), filename: 'shot.png' });
    expect(r.text).toBe(PARAGRAPH_LINES.join(' '));
    expect(r.warnings.map((w) => w.code)).toEqual(['ocr']);
  });

  it('warns low_confidence when the recogniser is sure of its letters but ran the words together', async () => {
    const sure = { read: async () => ({ text: 'The committee met on Tuesday memberswhocouldnotattendwouldstill read it.', confidence: 0.99 }) };
    const r = await extractFile({ bytes: await makeTextPng(['anything']), filename: 'shot.png' }, cfg, sure as unknown as OcrEngine);
    expect(r.warnings.map((w) => w.code)).toEqual(['ocr', 'low_confidence']);
    expect(r.warnings[1]!.message).toMatch(/spaces between some words/);
  });

  it('judges lost word spacing by run-together letters, not by a long word or two', () => {
    expect(spacingLooksLost(PARAGRAPH_LINES.join(' '))).toBe(false);
    expect(spacingLooksLost('Internationalization is one of the longest words in the list.')).toBe(false);
    expect(spacingLooksLost('thecommittee metonTuesday todiscuss thebudgetfor')).toBe(true);
    expect(spacingLooksLost('decided.Severalquestionswereraisedaboutthecostofrepairsto')).toBe(true);
  });

  it('turns a JPEG upright by its EXIF orientation before reading it', async () => {
    // Stored on its side with orientation 6 ("rotate 90° clockwise to display"), as phones do.
    const sideways = await sharp(textSvg(['Sideways photos still read fine.'], { width: 700 }))
      .rotate(-90)
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await run({ bytes: sideways, filename: 'photo.jpg' });
    expect(r.text.toLowerCase()).toContain('sideways photos still read fine');
  });

  it('reads a PNG sent with a .pdf name as the PNG it is, and says so', async () => {
    const png = await makeTextPng(['Named wrongly on purpose.']);
    const r = await run({ bytes: png, filename: 'report.pdf', contentType: 'application/pdf' });
    expect(r.method).toBe('ocr');
    expect(r.text.toLowerCase()).toContain('named wrongly on purpose');
    expect(r.warnings[0]).toEqual({ code: 'type_mismatch', message: 'the file was sent as a PDF but its content is a PNG image; it was read as what it is' });
  });

  it('refuses a decompression bomb by its header, before decoding', async () => {
    const bomb = await makePngBomb(60_000, 60_000);
    expect(bomb.length).toBeLessThan(200);
    expect(await refusal(run({ bytes: bomb, filename: 'bomb.png' }))).toMatchObject({ code: 'image_too_large', status: 413 });
  });

  it('answers unreadable_file for a corrupt image', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really a png')]);
    expect(await refusal(run({ bytes }))).toMatchObject({ code: 'unreadable_file', status: 422 });
  });

  it('answers no_text_found for an image without text', async () => {
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#fff' } })
      .webp()
      .toBuffer();
    expect(await refusal(run({ bytes: blank, filename: 'blank.webp' }))).toMatchObject({ code: 'no_text_found', status: 422 });
  });
});

describe('hostile and unknown uploads', () => {
  it('refuses unknown binary data as unsupported_media_type', async () => {
    const bytes = Buffer.from([0x00, 0x01, 0x02, 0xfe, 0x00, 0x10, 0x9c, 0x00]);
    expect(await refusal(run({ bytes, filename: 'a.txt' }))).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });

  it('names the format it refuses', async () => {
    const gif = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    const r = await refusal(run({ bytes: gif, filename: 'x.png' }));
    expect(r).toMatchObject({ code: 'unsupported_media_type' });
    expect(r.message).toMatch(/GIF image/);
  });

  it('refuses SVG and other XML instead of scoring markup', async () => {
    const svg = await refusal(run(text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><text>Hi</text></svg>', 'logo.txt')));
    expect(svg).toMatchObject({ code: 'unsupported_media_type' });
    expect(svg.message).toMatch(/SVG image/);
    expect((await refusal(run(text('<?xml version="1.0"?><feed><entry>x</entry></feed>')))).message).toMatch(/XML document/);
    expect((await run(text('<?xml version="1.0"?><!DOCTYPE html><html><body><p>Fine.</p></body></html>'))).text).toBe('Fine.');
  });

  it('answers no_text_found for empty and blank files', async () => {
    expect(await refusal(run({ bytes: new Uint8Array(0) }))).toMatchObject({ code: 'no_text_found' });
    expect(await refusal(run(text(' \n\t\n ', 'blank.txt')))).toMatchObject({ code: 'no_text_found' });
  });

  it('refuses files over the size limit', async () => {
    const r = await refusal(run(text('a'.repeat(2048)), testConfig({ EXTRACT_MAX_BYTES: '1024' })));
    expect(r).toMatchObject({ code: 'payload_too_large', status: 413 });
  });

  it('refuses extracted text over the character limit instead of cutting it', async () => {
    const r = await refusal(run(text('word '.repeat(300)), testConfig({ EXTRACT_MAX_CHARS: '1000' })));
    expect(r).toMatchObject({ code: 'text_too_long', status: 413 });
  });

  it('removes control characters that extraction leaves behind', async () => {
    expect((await run(text('Next\u0085 line\u009b and \ufffdtext.'))).text).toBe('Next line and text.');
  });
});
