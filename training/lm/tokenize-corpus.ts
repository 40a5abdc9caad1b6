/**
 * Tokenises build/docs.jsonl (written by build_corpus.py extract) with the bundled pack's
 * tokenizer, in the form the service scores: normalizeForDetection, then every whitespace run one
 * space (layoutFree). The language model then trains on exactly the token streams it will see.
 *
 *   pnpm exec tsx training/lm/tokenize-corpus.ts [build dir] [tokenizer.json]
 *
 * Writes <build>/docs.tokens.u16 (all documents' ids, uint16 little-endian, no separators) and
 * <build>/docs.tokens.json (per-document token counts, tokenizer sha256).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { layoutFree } from '@detector/detector-kit/layout.ts';
import { normalizeForDetection } from '@detector/inference-container/core/normalize.ts';
import { TextTokenizer } from '@detector/inference-container/backends/tokenizer.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const build = process.argv[2] ?? path.join(here, 'build');
const tokPath = process.argv[3] ?? path.join(here, '..', '..', 'inference-container', 'models', 'tinylm-en-v1', 'tokenizer.json');
const input = process.argv[4] ?? 'docs';

export function scoredForm(text: string): string {
  return layoutFree(normalizeForDetection(text).text).text;
}

async function main(): Promise<void> {
  const tokText = fs.readFileSync(tokPath, 'utf8');
  const tokenizer = new TextTokenizer(JSON.parse(tokText));
  const lengths: number[] = [];
  const out = fs.openSync(path.join(build, `${input}.tokens.u16`), 'w');
  const rl = readline.createInterface({ input: fs.createReadStream(path.join(build, `${input}.jsonl`)), crlfDelay: Number.POSITIVE_INFINITY });
  let tokens = 0;
  const t0 = Date.now();
  for await (const line of rl) {
    if (!line) continue;
    const doc = JSON.parse(line) as { text: string };
    const ids = tokenizer.encode(scoredForm(doc.text)).ids;
    const buf = Buffer.alloc(ids.length * 2);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! > 0xffff) throw new Error(`token id ${ids[i]} does not fit uint16`);
      buf.writeUInt16LE(ids[i]!, i * 2);
    }
    fs.writeSync(out, buf);
    lengths.push(ids.length);
    tokens += ids.length;
  }
  fs.closeSync(out);
  const sha = createHash('sha256').update(tokText).digest('hex');
  fs.writeFileSync(path.join(build, `${input}.tokens.json`), JSON.stringify({ tokenizer_sha256: sha, lengths }));
  console.log(JSON.stringify({ docs: lengths.length, tokens, seconds: (Date.now() - t0) / 1000 }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
