import { Tokenizer } from '@huggingface/tokenizers';

export interface Encoded {
  ids: number[];
  /** UTF-16 offsets of each token in the text, end exclusive. */
  starts: number[];
  ends: number[];
}

/**
 * Wraps a byte-level BPE tokenizer and recovers character offsets, which tokenizers.js does not
 * return: every character of a byte-level token stands for one byte of UTF-8, so token byte
 * lengths add up to byte offsets, which map back to UTF-16 positions.
 *
 * Text must already be NFC-normalised (the service does that before scoring), so the
 * tokenizer's own NFC step changes nothing and offsets refer to the text as given.
 */
export class TextTokenizer {
  private readonly tok: Tokenizer;
  private readonly specialBytes = new Map<string, number>();

  constructor(tokenizerJson: Record<string, unknown>) {
    this.tok = new Tokenizer(tokenizerJson, {});
    const added = (tokenizerJson.added_tokens ?? []) as Array<{ content: string }>;
    for (const t of added) this.specialBytes.set(t.content, Buffer.byteLength(t.content, 'utf8'));
  }

  encode(text: string): Encoded {
    const enc = this.tok.encode(text, { add_special_tokens: false });
    const ids = enc.ids.map(Number);
    const byteToChar = byteToCharIndex(text);
    const starts: number[] = new Array(ids.length);
    const ends: number[] = new Array(ids.length);
    let byte = 0;
    for (let i = 0; i < ids.length; i++) {
      const piece = enc.tokens[i] ?? '';
      const len = this.specialBytes.get(piece) ?? [...piece].length;
      starts[i] = byteToChar[Math.min(byte, byteToChar.length - 1)]!;
      byte += len;
      ends[i] = byteToChar[Math.min(byte, byteToChar.length - 1)]!;
    }
    return { ids, starts, ends };
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids);
  }

  tokenText(id: number): string {
    return this.tok.decode([id]);
  }
}

/** For each UTF-8 byte offset (0..byteLength), the UTF-16 index of the character it falls in. */
function byteToCharIndex(text: string): Int32Array {
  const total = Buffer.byteLength(text, 'utf8');
  const map = new Int32Array(total + 1);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < bytes; k++) map[b + k] = i;
    b += bytes;
    i += units;
  }
  map[total] = text.length;
  return map;
}
