import fs from 'node:fs';
import path from 'node:path';
import { groupHash, readJsonl, type Example } from './dataset.ts';
import { emailTexts, speechTexts } from './extra-human.ts';

/**
 * A source is the unit of out-of-domain validation: one detect-v1 domain, one detect-v2 file, or
 * one set of outside human writing. A number measured on a source that also fed training says
 * nothing about text nobody has seen, so evaluation leaves whole sources out.
 */
export interface SourcedExample extends Example {
  unit: string;
}

/** Sources whose human writers are mostly not native English speakers: reported on their own line. */
export const NON_NATIVE_UNITS = ['abstract_checker', 'learners_ellipse', 'learners_fce', 'learners_write_improve'] as const;

export interface SourceOptions {
  /** detect-v1 train.jsonl: each domain becomes one source. */
  v1Train?: string;
  /** detect-v2 sources/ folder: each file becomes one source. */
  v2Dir?: string;
  /** detect-v3 sources/ folder (text by a current model): each file becomes one source. */
  v3Dir?: string;
  /** At most this many texts per (source, label) cell, chosen by a fixed hash. */
  capPerCell: number;
  /** Outside human writing (e-mail, speeches) shipped in npm packages. */
  extraHuman: number;
}

/** A deterministic sample of at most `cap` texts; texts sharing a prompt group are kept or dropped together. */
export function capCell<T extends Example>(items: T[], cap: number, salt: string): T[] {
  if (items.length <= cap) return items;
  const key = (e: T) => groupHash(`${salt}:${e.pair ?? e.id ?? e.text}`);
  return [...items].sort((a, b) => key(a) - key(b)).slice(0, cap);
}

export async function loadSources(opts: SourceOptions): Promise<SourcedExample[]> {
  const out: SourcedExample[] = [];
  const addCapped = (unit: string, items: Example[]) => {
    for (const label of ['human', 'ai'] as const) {
      const cell = items.filter((e) => e.label === label);
      for (const e of capCell(cell, opts.capPerCell, `cell:${unit}:${label}`)) out.push({ ...e, unit });
    }
  };
  if (opts.v1Train) {
    const v1 = await readJsonl(opts.v1Train);
    const domains = [...new Set(v1.map((e) => e.domain ?? 'unknown'))].sort();
    for (const d of domains)
      addCapped(
        `v1_${d}`,
        v1.filter((e) => (e.domain ?? 'unknown') === d),
      );
  }
  if (opts.v2Dir) {
    const files = fs
      .readdirSync(opts.v2Dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    for (const f of files) addCapped(path.basename(f, '.jsonl'), await readJsonl(path.join(opts.v2Dir, f)));
  }
  if (opts.v3Dir) {
    const files = fs
      .readdirSync(opts.v3Dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    for (const f of files) addCapped(`v3_${path.basename(f, '.jsonl')}`, await readJsonl(path.join(opts.v3Dir, f)));
  }
  if (opts.extraHuman > 0) {
    addCapped('email', emailTexts(Math.round(opts.extraHuman * 0.6)));
    addCapped('speech', speechTexts(Math.round(opts.extraHuman * 0.4)));
  }
  return out;
}

/** Where `pnpm train` reads its sources by default: the shared data beside the checkout. */
export function defaultSourcePaths(sharedData: string): Required<Pick<SourceOptions, 'v1Train' | 'v2Dir' | 'v3Dir'>> {
  return {
    v1Train: path.join(sharedData, 'detect-v1', 'train.jsonl'),
    v2Dir: path.join(sharedData, 'detect-v2', 'sources'),
    v3Dir: path.join(sharedData, 'detect-v3', 'sources'),
  };
}

/** Every training source as `pnpm train` loads it, at `capPerCell` texts per (source, label). */
export function trainingSources(sharedData: string, capPerCell: number): Promise<SourcedExample[]> {
  return loadSources({ ...defaultSourcePaths(sharedData), capPerCell, extraHuman: 1200 });
}
