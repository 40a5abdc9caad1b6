import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DETECTOR, BUNDLED_DETECTORS_DIR, BUNDLED_PACK, BUNDLED_PACKS_DIR, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { sha256File } from '@detector/detector-kit/sha256.ts';
import { startTestService } from '../test-support.ts';
import { createS3Client, uploadText } from '@detector/registry/bucket.ts';
import { keyFor, parseS3Url, RegistryError } from '@detector/registry/location.ts';
import { publishDetector, publishPack, readIndex, rollbackDetector } from '@detector/registry/publish.ts';
import { prepareArtifacts } from '@detector/registry/sync.ts';
import { startLocalS3, type LocalS3 } from './s3rver.test-support.ts';

const silent = createLogger('silent');
const detectorFile = path.join(BUNDLED_DETECTORS_DIR, `${BUNDLED_DETECTOR}.json`);

describe('packs and detectors from an S3-compatible bucket', () => {
  let s3: LocalS3;
  let client: S3Client;
  let tmp: string;
  const saved = { ...process.env };
  const source = 's3://models/prod';
  const loc = parseS3Url(source);

  const settings = (cache: string, extra: Record<string, string> = {}) =>
    loadConfig({ MODEL_SOURCE: source, MODEL_CACHE_DIR: cache, S3_ENDPOINT: s3.endpoint, ...extra });

  beforeAll(async () => {
    s3 = await startLocalS3('models');
    // The service reads credentials the standard way, from the AWS_* variables.
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    client = createS3Client({ S3_ENDPOINT: s3.endpoint, S3_REGION: 'auto', S3_FORCE_PATH_STYLE: 'true' });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-'));
    await publishPack(client, loc, path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK));
    await publishDetector(client, loc, detectorFile);
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
    process.env = saved;
  });

  it('starts the service from the bucket: pack and detector copied into the cache and loaded', async () => {
    const cache = path.join(tmp, 'start');
    const service = await startTestService({ MODEL_SOURCE: source, MODEL_CACHE_DIR: cache, S3_ENDPOINT: s3.endpoint, LANGUAGE_ID: 'off' });
    try {
      expect([...service.models.keys()]).toEqual([BUNDLED_PACK]);
      expect(service.models.get(BUNDLED_PACK)!.pack.dir).toBe(path.join(cache, 'packs', BUNDLED_PACK));
      expect(
        service
          .registry()
          .list()
          .map((d) => d.name),
      ).toEqual([BUNDLED_DETECTOR]);
      expect(await sha256File(path.join(cache, 'packs', BUNDLED_PACK, 'model.onnx'))).toBe(
        await sha256File(path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK, 'model.onnx')),
      );
    } finally {
      await service.stop();
    }
  });

  it('keeps verified cached files instead of downloading them again', async () => {
    const cache = path.join(tmp, 'reuse');
    await prepareArtifacts(settings(cache), silent);
    const model = path.join(cache, 'packs', BUNDLED_PACK, 'model.onnx');
    const before = (await fs.stat(model)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await prepareArtifacts(settings(cache), silent);
    expect((await fs.stat(model)).mtimeMs).toBe(before);
  });

  it('refuses a pack file whose sha256 differs from the manifest, and deletes it', async () => {
    const tampered = 's3://models/tampered';
    const tLoc = parseS3Url(tampered);
    await publishPack(client, tLoc, path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK));
    await uploadText(client, tLoc, keyFor(tLoc, 'packs', BUNDLED_PACK, 'tokenizer.json'), '{"not": "the tokenizer"}');
    const cache = path.join(tmp, 'tampered');
    const err = await prepareArtifacts(settings(cache, { MODEL_SOURCE: tampered }), silent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toMatch(/tokenizer\.json has sha256 [0-9a-f]{64}, but [0-9a-f]{64} was expected; refusing it/);
    await expect(fs.stat(path.join(cache, 'packs', BUNDLED_PACK, 'tokenizer.json'))).rejects.toThrow(/ENOENT/);
    // Without a verified manifest the folder is not a loadable pack.
    await expect(fs.stat(path.join(cache, 'packs', BUNDLED_PACK, 'manifest.json'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a detector whose bytes differ from the sha256 in the index', async () => {
    const tampered = 's3://models/tampered-detector';
    const tLoc = parseS3Url(tampered);
    await publishPack(client, tLoc, path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK));
    const published = await publishDetector(client, tLoc, detectorFile);
    const text = await fs.readFile(detectorFile, 'utf8');
    await uploadText(
      client,
      tLoc,
      keyFor(tLoc, 'detectors', BUNDLED_DETECTOR, `${published.detector.version}.json`),
      JSON.stringify({ ...JSON.parse(text), min_tokens: 1 }),
    );
    const err = await prepareArtifacts(settings(path.join(tmp, 'tampered-detector'), { MODEL_SOURCE: tampered }), silent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain(`detectors/${BUNDLED_DETECTOR}/${published.detector.version}.json has sha256`);
  });

  it('rolls a detector back by pointing the index at the earlier version', async () => {
    const rLoc = parseS3Url('s3://models/rollback');
    const original = await fs.readFile(detectorFile, 'utf8');
    const v1 = await publishDetector(client, rLoc, detectorFile);
    const v2File = path.join(tmp, 'v2.json');
    await fs.writeFile(v2File, JSON.stringify({ ...JSON.parse(original), version: 'v2-candidate' }));
    await publishDetector(client, rLoc, v2File);
    expect((await readIndex(client, rLoc)).detectors.map((d) => d.version)).toEqual(['v2-candidate']);

    await publishPack(client, rLoc, path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK));
    const cache = path.join(tmp, 'rollback');
    const cfg = settings(cache, { MODEL_SOURCE: 's3://models/rollback' });
    await prepareArtifacts(cfg, silent);
    expect(JSON.parse(await fs.readFile(path.join(cache, 'detectors', `${BUNDLED_DETECTOR}.json`), 'utf8')).version).toBe('v2-candidate');

    await rollbackDetector(client, rLoc, BUNDLED_DETECTOR, v1.detector.version);
    await prepareArtifacts(cfg, silent);
    expect(await fs.readFile(path.join(cache, 'detectors', `${BUNDLED_DETECTOR}.json`), 'utf8')).toBe(original);
  });

  it('fails start-up with the missing object named', async () => {
    const err = await prepareArtifacts(settings(path.join(tmp, 'missing'), { MODEL_PACKS: 'no-such-pack' }), silent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toBe('s3://models/prod/packs/no-such-pack/manifest.json does not exist');
  });

  it('refuses pack names that would leave the cache folder', async () => {
    const err = await prepareArtifacts(settings(path.join(tmp, 'escape'), { MODEL_PACKS: '../etc' }), silent).catch((e: unknown) => e);
    expect((err as Error).message).toBe("pack '../etc' is not a plain file name");
  });
});

describe('registry settings', () => {
  it('accepts only empty or s3:// sources and known execution providers', () => {
    expect(() => loadConfig({ MODEL_SOURCE: 'http://bucket/x' })).toThrow(/MODEL_SOURCE/);
    expect(() => loadConfig({ S3_ENDPOINT: 'not a url' })).toThrow(/S3_ENDPOINT/);
    expect(() => loadConfig({ ORT_EXECUTION_PROVIDERS: 'cuda,gpu' })).toThrow(/ORT_EXECUTION_PROVIDERS/);
    expect(loadConfig({ MODEL_SOURCE: 's3://models/prod/v1', ORT_EXECUTION_PROVIDERS: 'cuda' })).toMatchObject({
      MODEL_SOURCE: 's3://models/prod/v1',
      ORT_EXECUTION_PROVIDERS: 'cuda',
    });
  });

  it('loads from the folders as they are when MODEL_SOURCE is empty', async () => {
    const cfg = loadConfig({});
    expect(await prepareArtifacts(cfg, silent)).toEqual({ packsDir: cfg.MODEL_PACKS_DIR, detectorsDir: cfg.DETECTORS_DIR });
  });
});
