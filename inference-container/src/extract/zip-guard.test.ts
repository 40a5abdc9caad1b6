import { describe, expect, it } from 'vitest';
import { ApiError } from '@detector/contract';
import { checkZip } from './zip-guard.ts';
import { docxEntries, makeZip } from './test-fixtures.ts';

const limits = { maxEntries: 2000, maxUnzippedBytes: 64 * 1024 * 1024, maxRatio: 200, maxXmlBytes: 8 * 1024 * 1024 };
const bigBody = `<w:document><w:body>${'<w:p><w:r><w:t>hidden words</w:t></w:r></w:p>'.repeat(200_000)}</w:body></w:document>`;

function code(zip: Buffer): string | null {
  try {
    checkZip(zip, limits);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return (err as ApiError).code;
  }
}

describe('checkZip against decoy archives', () => {
  it('accepts an ordinary document', () => {
    expect(code(makeZip(docxEntries(['fine'])))).toBeNull();
  });

  it('refuses an entry whose local header names another part than the central directory', () => {
    const zip = makeZip([...docxEntries(['decoy']), { name: 'word/documenX.xml', data: bigBody.slice(0, 100) }]);
    // The local header says word/documenX.xml; rename only the central directory's copy.
    const cd = zip.lastIndexOf(Buffer.from('word/documenX.xml'));
    zip.write('word/documenY.xml', cd);
    expect(code(zip)).toBe('unreadable_file');
  });

  it('refuses local sizes that disagree with the central directory', () => {
    const zip = makeZip(docxEntries(['decoy']));
    zip.writeUInt32LE(zip.readUInt32LE(22) + 1000, 22); // the first local header's uncompressed size
    expect(code(zip)).toBe('unreadable_file');
  });

  it('refuses a large document hidden in local entries the central directory does not list', () => {
    const shown = makeZip(docxEntries(['a decoy that stays small']));
    const hidden = makeZip([{ name: 'word/document.xml', data: bigBody }]);
    // The hidden entry's local header and data go first; the decoy's directory lists only its own entries.
    const hiddenLocal = hidden.subarray(0, hidden.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
    const eocd = shown.length - 22;
    const cdOffset = shown.readUInt32LE(eocd + 16);
    const cd = Buffer.from(shown.subarray(cdOffset, eocd));
    for (let p = 0; p < cd.length; p += 46 + cd.readUInt16LE(p + 28)) cd.writeUInt32LE(cd.readUInt32LE(p + 42) + hiddenLocal.length, p + 42);
    const end = Buffer.from(shown.subarray(eocd));
    end.writeUInt32LE(cdOffset + hiddenLocal.length, 16);
    const decoy = Buffer.concat([hiddenLocal, shown.subarray(0, cdOffset), cd, end]);
    expect(code(decoy)).toBe('unreadable_file');
  });

  it('refuses bytes between the central directory and its end record', () => {
    const zip = makeZip(docxEntries(['decoy']));
    const eocd = zip.length - 22;
    const padded = Buffer.concat([zip.subarray(0, eocd), Buffer.alloc(64), zip.subarray(eocd)]);
    expect(code(padded)).toBe('unreadable_file');
  });
});
