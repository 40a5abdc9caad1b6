import fs from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { sha256File } from '@detector/detector-kit/sha256.ts';
import { createS3Client, downloadTo, getText, type S3Settings } from './bucket.ts';
import { DETECTOR_INDEX, DETECTORS, detectorIndexSchema, PACKS, packFiles, packFilesSchema } from './layout.ts';
import { keyFor, parseS3Url, RegistryError, safeName, type BucketLocation } from './location.ts';

/** The caller's logger; the registry only reports what it fetched. */
type Logger = Record<'info' | 'debug', (msg: string, fields?: Record<string, unknown>) => void>;

export interface ArtifactSettings extends S3Settings {
  MODEL_SOURCE: string;
  MODEL_CACHE_DIR: string;
  MODEL_PACKS_DIR: string;
  MODEL_PACKS: string;
  DETECTORS_DIR: string;
}

export interface ArtifactDirs {
  packsDir: string;
  detectorsDir: string;
}

/**
 * Where the service loads packs and detectors from. With MODEL_SOURCE set, first copies the
 * configured packs and the live detectors from the bucket into MODEL_CACHE_DIR, verifying every
 * file's sha256; a file that does not match is deleted and start-up fails.
 */
export async function prepareArtifacts(settings: ArtifactSettings, log: Logger, client?: S3Client): Promise<ArtifactDirs> {
  if (!settings.MODEL_SOURCE) return { packsDir: settings.MODEL_PACKS_DIR, detectorsDir: settings.DETECTORS_DIR };
  const loc = parseS3Url(settings.MODEL_SOURCE);
  const s3 = client ?? createS3Client(settings);
  const packsDir = path.join(settings.MODEL_CACHE_DIR, PACKS);
  const detectorsDir = path.join(settings.MODEL_CACHE_DIR, DETECTORS);
  const names = settings.MODEL_PACKS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    for (const name of names) await syncPack(s3, loc, safeName('pack', name), packsDir, log);
    await syncDetectors(s3, loc, detectorsDir, log);
  } finally {
    if (!client) s3.destroy();
  }
  return { packsDir, detectorsDir };
}

async function syncPack(s3: S3Client, loc: BucketLocation, name: string, packsDir: string, log: Logger): Promise<void> {
  const dir = path.join(packsDir, name);
  await fs.mkdir(dir, { recursive: true });
  const manifestKey = keyFor(loc, PACKS, name, 'manifest.json');
  const text = await getText(s3, loc, manifestKey);
  let files: Record<string, string>;
  try {
    const parsed = packFilesSchema.parse(JSON.parse(text));
    if (parsed.name !== name) throw new Error(`it names the pack '${parsed.name}'`);
    files = packFiles(parsed);
  } catch (err) {
    throw new RegistryError(`s3://${loc.bucket}/${manifestKey}: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const [file, sha] of Object.entries(files)) {
    await fetchVerified(s3, loc, keyFor(loc, PACKS, name, safeName('pack file', file)), path.join(dir, file), sha, log);
  }
  // Written last: a pack folder with a manifest is complete and verified.
  await fs.writeFile(path.join(dir, 'manifest.json'), text);
  log.info('model pack fetched', { model: name, source: `s3://${loc.bucket}/${keyFor(loc, PACKS, name)}`, files: Object.keys(files).length });
}

async function syncDetectors(s3: S3Client, loc: BucketLocation, detectorsDir: string, log: Logger): Promise<void> {
  const indexKey = keyFor(loc, DETECTOR_INDEX);
  const parsed = detectorIndexSchema.safeParse(safeJson(await getText(s3, loc, indexKey)));
  if (!parsed.success)
    throw new RegistryError(
      `s3://${loc.bucket}/${indexKey} is not a detector index: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  await fs.mkdir(detectorsDir, { recursive: true });
  const live = new Set<string>();
  for (const d of parsed.data.detectors) {
    const file = `${safeName('detector', d.name)}.json`;
    if (live.has(file)) throw new RegistryError(`s3://${loc.bucket}/${indexKey} lists detector '${d.name}' twice`);
    live.add(file);
    await fetchVerified(s3, loc, keyFor(loc, d.key), path.join(detectorsDir, file), d.sha256, log);
    log.info('detector fetched', { detector: d.name, version: d.version });
  }
  // A detector taken out of the index (or rolled back) must not linger in the cache.
  for (const f of await fs.readdir(detectorsDir)) {
    if (!live.has(f)) await fs.rm(path.join(detectorsDir, f), { recursive: true, force: true });
  }
}

/** Keeps a cached file whose sha256 still matches; otherwise downloads and checks it. */
async function fetchVerified(s3: S3Client, loc: BucketLocation, key: string, dest: string, expected: string, log: Logger): Promise<void> {
  const cached = await sha256File(dest).catch(() => null);
  if (cached === expected) return;
  const actual = await downloadTo(s3, loc, key, dest);
  if (actual !== expected) {
    await fs.rm(dest, { force: true });
    throw new RegistryError(`s3://${loc.bucket}/${key} has sha256 ${actual}, but ${expected} was expected; refusing it`);
  }
  log.debug('fetched', { key, sha256: actual });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
