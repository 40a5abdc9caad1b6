import fs from 'node:fs/promises';
import path from 'node:path';
import { manifestSchema } from '@detector/detector-kit/pack-manifest.ts';
import { sha256File } from '@detector/detector-kit/sha256.ts';
import { readDetectorFile } from './publish.ts';
import { RegistryError } from './location.ts';

/** The Supabase project (or any PostgREST) holding the models and detectors tables. */
export interface Catalogue {
  url: string;
  serviceRoleKey: string;
}

async function call(cat: Catalogue, method: string, route: string, body: unknown, prefer?: string): Promise<unknown> {
  const res = await fetch(`${cat.url.replace(/\/+$/, '')}/rest/v1/${route}`, {
    method,
    headers: {
      apikey: cat.serviceRoleKey,
      authorization: `Bearer ${cat.serviceRoleKey}`,
      'content-type': 'application/json',
      ...(prefer ? { prefer } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new RegistryError(`${method} /rest/v1/${route} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Inserts or updates a pack's row: version, sha256, sizes, every file's sha256, where it lives. */
export async function registerPack(cat: Catalogue, dir: string, opts: { location?: string; version?: string } = {}) {
  const manifest = manifestSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')));
  const actual = await sha256File(path.join(dir, 'model.onnx'));
  if (actual !== manifest.model_sha256) throw new RegistryError(`${dir}: model.onnx sha256 ${actual} does not match the manifest's ${manifest.model_sha256}`);
  const files = (manifest as { files?: Record<string, string> }).files ?? { 'model.onnx': actual };
  const row = {
    name: manifest.name,
    version: opts.version ?? String((manifest as { version?: unknown }).version ?? '1'),
    sha256: manifest.model_sha256,
    hidden_size: manifest.hidden_size,
    max_tokens: manifest.max_sequence_length,
    location: opts.location ?? path.resolve(dir),
    files,
    metrics: (manifest as { training?: unknown }).training ?? {},
    manifest,
  };
  const [saved] = (await call(cat, 'POST', 'models?on_conflict=name', row, 'resolution=merge-duplicates,return=representation')) as Array<
    Record<string, unknown>
  >;
  return saved!;
}

/**
 * Inserts or updates a detector version's row (sha256 of the file, metrics, thresholds, where the
 * file lives) and, with `live`, makes it the live version of its name.
 */
export async function registerDetector(cat: Catalogue, file: string, opts: { location?: string; live?: boolean } = {}) {
  const { detector, sha256 } = await readDetectorFile(file);
  const row = {
    name: detector.name,
    version: detector.version,
    model_name: detector.pack.name,
    model_sha256: detector.pack.sha256,
    sha256,
    location: opts.location ?? path.resolve(file),
    profile_thresholds: detector.thresholds,
    metrics: detector.provenance.metrics,
  };
  const [saved] = (await call(cat, 'POST', 'detectors?on_conflict=name,version', row, 'resolution=merge-duplicates,return=representation')) as Array<
    Record<string, unknown>
  >;
  const previous = opts.live ? await setLiveDetector(cat, detector.name, detector.version) : undefined;
  return { row: saved!, previous };
}

/** Makes a registered version live (publishing or rolling back); returns the version it replaced. */
export async function setLiveDetector(cat: Catalogue, name: string, version: string): Promise<string | null> {
  return (await call(cat, 'POST', 'rpc/set_live_detector', { detector_name: name, detector_version: version })) as string | null;
}
