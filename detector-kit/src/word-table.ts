/**
 * A read-only word -> number table over the text of a word-list file itself: the words stay where
 * the file has them, and the table is three typed arrays of positions, slots and values. The word
 * lists behind the style statistics hold about 350,000 words; as a Set and a Map of strings (plus
 * the parsed arrays `require` keeps cached) they cost the service about 60 MB of heap for its
 * whole life, and building them left the heap that much larger. Lookups hash the word and compare
 * characters in place, so they allocate nothing.
 */
export class WordTable {
  /** Open addressing: entry index + 1, 0 for an empty slot. */
  private readonly slots: Uint32Array;
  private readonly mask: number;
  readonly size: number;

  /**
   * `spans` holds [start, end) of each word in `text`, two numbers per word; `values[i]` belongs to
   * word i (every word maps to 1 when omitted). A later duplicate of a word is ignored.
   */
  constructor(
    private readonly text: string,
    private readonly spans: Uint32Array,
    private readonly values?: Float64Array,
  ) {
    const n = spans.length / 2;
    let size = 1;
    while (size < n * 2) size *= 2;
    const mask = size - 1;
    const slots = new Uint32Array(size);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const start = spans[2 * i]!;
      const end = spans[2 * i + 1]!;
      let slot = hash(text, start, end) & mask;
      let duplicate = false;
      for (let probe = slots[slot]!; probe !== 0; probe = slots[slot]!) {
        if (this.matches(probe - 1, text, start, end)) {
          duplicate = true;
          break;
        }
        slot = (slot + 1) & mask;
      }
      if (duplicate) continue;
      slots[slot] = i + 1;
      kept++;
    }
    this.slots = slots;
    this.mask = mask;
    this.size = kept;
  }

  get(word: string): number | undefined {
    let slot = hash(word, 0, word.length) & this.mask;
    for (let probe = this.slots[slot]!; probe !== 0; probe = this.slots[slot]!) {
      if (this.matches(probe - 1, word, 0, word.length)) return this.values ? this.values[probe - 1] : 1;
      slot = (slot + 1) & this.mask;
    }
    return undefined;
  }

  has(word: string): boolean {
    return this.get(word) !== undefined;
  }

  /** Whether entry `index` spells s[from, to). */
  private matches(index: number, s: string, from: number, to: number): boolean {
    const start = this.spans[2 * index]!;
    if (this.spans[2 * index + 1]! - start !== to - from) return false;
    for (let k = 0; k < to - from; k++) if (this.text.charCodeAt(start + k) !== s.charCodeAt(from + k)) return false;
    return true;
  }
}

/** FNV-1a over the UTF-16 code units of s[from, to). */
function hash(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let k = from; k < to; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function spansOf(positions: number[]): Uint32Array {
  return Uint32Array.from(positions);
}

/** A JSON array of strings (`["a", "aa", ...]`) as a set of its strings, read in place. */
export function wordTableFromJsonArray(json: string): WordTable {
  // Reading in place needs the words as written; the pinned word lists have no escapes.
  if (json.includes('\\')) throw new Error('a word list with escaped characters cannot be read in place');
  const positions: number[] = [];
  for (let at = json.indexOf('"'); at >= 0; ) {
    const end = json.indexOf('"', at + 1);
    if (end < 0) throw new Error('unterminated string in a word list');
    positions.push(at + 1, end);
    at = json.indexOf('"', end + 1);
  }
  return new WordTable(json, spansOf(positions));
}

/**
 * A JSON array of `{"word": ..., "count": ...}` as a table from each lower-cased word to
 * `value(count)`; the first entry of a word wins, so a list sorted by count keeps the highest.
 */
export function wordTableFromWordCounts(json: string, value: (count: number) => number): WordTable {
  const lower = json.toLowerCase();
  // Positions found in the lower-cased text must be valid in it: true unless a character's lower
  // case has another length, which the ASCII word lists never have.
  if (lower.length !== json.length) throw new Error('a word list whose lower case changes its length cannot be read in place');
  if (lower.includes('\\')) throw new Error('a word list with escaped characters cannot be read in place');
  const positions: number[] = [];
  const values: number[] = [];
  for (const m of lower.matchAll(/"word"\s*:\s*"([^"\\]*)"\s*,\s*"count"\s*:\s*(\d+)/dg)) {
    const [start, end] = m.indices![1]!;
    positions.push(start, end);
    values.push(value(Number(m[2])));
  }
  return new WordTable(lower, spansOf(positions), Float64Array.from(values));
}
