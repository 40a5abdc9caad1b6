/** A bucket and a key prefix, from `s3://bucket/prefix`. */
export interface BucketLocation {
  bucket: string;
  /** Without leading or trailing slashes; empty for the bucket's root. */
  prefix: string;
}

export function parseS3Url(url: string): BucketLocation {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,62})(?:\/(.*))?$/.exec(url);
  if (!m) throw new RegistryError(`'${url}' is not an s3://bucket/prefix URL`);
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function keyFor(loc: BucketLocation, ...parts: string[]): string {
  return [loc.prefix, ...parts].filter(Boolean).join('/');
}

/** Names that become local file or folder names: no separators, no dot-dot. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export function safeName(kind: string, name: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..')) throw new RegistryError(`${kind} '${name}' is not a plain file name`);
  return name;
}

/** A start-up failure: the service refuses to serve what it could not fetch or verify. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}
