import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { detectorSchema, type Detector } from '@detector/detector-kit/schema.ts';
import { manifestSchema } from '@detector/detector-kit/pack-manifest.ts';
import { sha256File } from '@detector/detector-kit/sha256.ts';
import { getText, uploadFile, uploadText } from './bucket.ts';
import { DETECTOR_INDEX, DETECTORS, detectorIndexSchema, PACKS, type DetectorIndex } from './layout.ts';
import { keyFor, RegistryError, safeName, type BucketLocation } from './location.ts';

export interface PublishedPack {
  name: string;
  model_sha256: string;
  files: Record<string, string>;
  location: string;
}

/**
 * Uploads a pack folder: every file, then a manifest.json that lists each file's sha256 (the
 * manifest goes last, so a reader never sees a manifest whose files are not there yet).
 */
export async function publishPack(s3: S3Client, loc: BucketLocation, dir: string): Promise<PublishedPack> {
  const manifest = manifestSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')));
  const name = safeName('pack', manifest.name);
  const files: Record<string, string> = {};
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || entry.name === 'manifest.json') continue;
    files[safeName('pack file', entry.name)] = await sha256File(path.join(dir, entry.name));
  }
  if (files['model.onnx'] !== manifest.model_sha256) {
    throw new RegistryError(`${dir}: model.onnx sha256 ${files['model.onnx'] ?? '(missing)'} does not match the manifest's ${manifest.model_sha256}`);
  }
  for (const file of Object.keys(files)) await uploadFile(s3, loc, keyFor(loc, PACKS, name, file), path.join(dir, file));
  await uploadText(s3, loc, keyFor(loc, PACKS, name, 'manifest.json'), JSON.stringify({ ...manifest, files }, null, 1));
  return { name, model_sha256: manifest.model_sha256, files, location: `s3://${loc.bucket}/${keyFor(loc, PACKS, name)}/` };
}

export interface PublishedDetector {
  detector: Detector;
  sha256: string;
  location: string;
}

export async function readDetectorFile(file: string): Promise<{ detector: Detector; text: string; sha256: string }> {
  const text = await fs.readFile(file, 'utf8');
  const parsed = detectorSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new RegistryError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { detector: parsed.data, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Uploads one detector version and, unless `live` is false, makes it the live one in the index. */
export async function publishDetector(s3: S3Client, loc: BucketLocation, file: string, opts: { live?: boolean } = {}): Promise<PublishedDetector> {
  const { detector, text, sha256 } = await readDetectorFile(file);
  const key = detectorKey(detector.name, detector.version);
  await uploadText(s3, loc, keyFor(loc, key), text);
  if (opts.live !== false) await setLive(s3, loc, { name: detector.name, version: detector.version, key, sha256 });
  return { detector, sha256, location: `s3://${loc.bucket}/${keyFor(loc, key)}` };
}

/** Points the index back at an earlier, already published version of a detector. */
export async function rollbackDetector(s3: S3Client, loc: BucketLocation, name: string, version: string): Promise<{ sha256: string }> {
  const key = detectorKey(name, version);
  const text = await getText(s3, loc, keyFor(loc, key));
  const sha256 = createHash('sha256').update(text).digest('hex');
  await setLive(s3, loc, { name, version, key, sha256 });
  return { sha256 };
}

export async function readIndex(s3: S3Client, loc: BucketLocation): Promise<DetectorIndex> {
  let text: string;
  try {
    text = await getText(s3, loc, keyFor(loc, DETECTOR_INDEX));
  } catch (err) {
    if (err instanceof RegistryError && err.message.endsWith('does not exist')) return { detectors: [] };
    throw err;
  }
  return detectorIndexSchema.parse(JSON.parse(text));
}

async function setLive(s3: S3Client, loc: BucketLocation, entry: DetectorIndex['detectors'][number]): Promise<void> {
  const index = await readIndex(s3, loc);
  const detectors = [...index.detectors.filter((d) => d.name !== entry.name), entry].sort((a, b) => a.name.localeCompare(b.name));
  await uploadText(s3, loc, keyFor(loc, DETECTOR_INDEX), JSON.stringify({ detectors }, null, 1));
}

function detectorKey(name: string, version: string): string {
  return `${DETECTORS}/${safeName('detector', name)}/${safeName('detector version', version)}.json`;
}
