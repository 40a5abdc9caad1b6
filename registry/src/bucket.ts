import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RegistryError, type BucketLocation } from './location.ts';

export interface S3Settings {
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: 'true' | 'false';
}

/** Credentials are the SDK's default chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles. */
export function createS3Client(s: S3Settings): S3Client {
  return new S3Client({
    region: s.S3_REGION,
    endpoint: s.S3_ENDPOINT,
    forcePathStyle: s.S3_FORCE_PATH_STYLE === 'true',
    // The files are verified by sha256 against the manifest; S3-compatible stores differ in
    // which checksum headers they support, so ask for none beyond what S3 requires.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const url = (loc: BucketLocation, key: string) => `s3://${loc.bucket}/${key}`;

export async function getText(client: S3Client, loc: BucketLocation, key: string): Promise<string> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    return await res.Body!.transformToString('utf8');
  } catch (err) {
    throw describe(err, loc, key);
  }
}

/**
 * Streams an object into `dest` and returns its sha256. The data lands in a temporary file that
 * is renamed only when complete, so an interrupted download never looks like a cached file.
 */
export async function downloadTo(client: S3Client, loc: BucketLocation, key: string, dest: string): Promise<string> {
  const hash = createHash('sha256');
  const part = `${dest}.part-${process.pid}`;
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(res.Body as Readable, hashing, createWriteStream(part));
    await fs.rename(part, dest);
    return hash.digest('hex');
  } catch (err) {
    await fs.rm(part, { force: true });
    throw describe(err, loc, key);
  }
}

export async function uploadFile(client: S3Client, loc: BucketLocation, key: string, file: string): Promise<void> {
  const { size } = await fs.stat(file);
  await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: createReadStream(file), ContentLength: size }));
}

export async function uploadText(client: S3Client, loc: BucketLocation, key: string, text: string, contentType = 'application/json'): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: text, ContentType: contentType }));
}

function describe(err: unknown, loc: BucketLocation, key: string): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof NoSuchKey || (err as { name?: string })?.name === 'NoSuchKey') return new RegistryError(`${url(loc, key)} does not exist`);
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new RegistryError(`cannot read ${url(loc, key)}: ${msg}`);
}
