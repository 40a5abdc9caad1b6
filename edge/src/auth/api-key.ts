/**
 * API keys look like `dk_live_<prefix>_<secret>`: the prefix is visible (dashboards, logs,
 * revocation) and the secret is shown once. Only a hash of the whole key is stored.
 */
const KEY_RE = /^dk_(live|test)_([a-z0-9]{10})_([A-Za-z0-9]{32})$/;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface ParsedKey {
  env: 'live' | 'test';
  prefix: string;
  key: string;
}

export function parseApiKey(raw: string): ParsedKey | null {
  const m = KEY_RE.exec(raw.trim());
  if (!m) return null;
  return { env: m[1] as 'live' | 'test', prefix: m[2]!, key: raw.trim() };
}

function randomString(alphabet: string, length: number): string {
  // Rejection sampling keeps every character equally likely.
  const out: string[] = [];
  const limit = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out.push(alphabet[b % alphabet.length]!);
    }
  }
  return out.join('');
}

export function generateApiKey(env: 'live' | 'test' = 'live'): ParsedKey {
  const prefix = randomString(PREFIX_ALPHABET, 10);
  const key = `dk_${env}_${prefix}_${randomString(SECRET_ALPHABET, 32)}`;
  return { env, prefix, key };
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** HMAC-SHA256 with the server pepper, so a leaked table cannot be checked offline without it. */
export async function hashApiKey(key: string, pepper: string): Promise<string> {
  const data = new TextEncoder().encode(key);
  if (!pepper) return `sha256:${hex(await crypto.subtle.digest('SHA-256', data))}`;
  const k = await crypto.subtle.importKey('raw', new TextEncoder().encode(pepper), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `hmac:${hex(await crypto.subtle.sign('HMAC', k, data))}`;
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Compares two equal-format hashes without leaking where they first differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
