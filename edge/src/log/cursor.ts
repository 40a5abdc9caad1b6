import { z } from 'zod';

/** Where a history page ends: the last row's sort key (created_at, request_id, item_index). */
export interface CursorPosition {
  created_at: string;
  request_id: string;
  item_index: number;
}

// The forms Postgres (through PostgREST) and Date#toISOString write timestamps in; nothing else
// can have come from a row.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const payloadSchema = z.strictObject({
  t: z
    .string()
    .regex(TIMESTAMP)
    .refine((t) => !Number.isNaN(Date.parse(t))),
  r: z.string().min(1).max(128),
  i: z.number().int().min(0).max(1_000_000),
});
const CURSOR = /^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{43}$/;

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/**
 * History cursors are opaque to callers: the position, then an HMAC of it. A cursor that was not
 * issued by this gateway (or was edited) fails the signature check and never reaches a query.
 * The key is derived from API_KEY_PEPPER so that no further secret has to be managed; without a
 * pepper (ENVIRONMENT=local only) it is random per isolate, which is enough for in-memory history.
 */
export class CursorCodec {
  private key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.key = (async () => {
      const material = secret
        ? new Uint8Array(
            await crypto.subtle.sign(
              'HMAC',
              await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
              new TextEncoder().encode('history-cursor:v1'),
            ),
          )
        : crypto.getRandomValues(new Uint8Array(32));
      return crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    })();
  }

  async encode(p: CursorPosition): Promise<string> {
    const body = toBase64Url(new TextEncoder().encode(JSON.stringify({ t: p.created_at, r: p.request_id, i: p.item_index })));
    const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await this.key, new TextEncoder().encode(body)));
    return `${body}.${toBase64Url(sig)}`;
  }

  /** The position, or null for anything this gateway did not issue. */
  async decode(cursor: string): Promise<CursorPosition | null> {
    if (!CURSOR.test(cursor)) return null;
    const [body, sig] = cursor.split('.') as [string, string];
    let ok: boolean;
    try {
      // verify compares in constant time.
      ok = await crypto.subtle.verify('HMAC', await this.key, fromBase64Url(sig), new TextEncoder().encode(body));
    } catch {
      return null;
    }
    if (!ok) return null;
    try {
      const parsed = payloadSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(body))));
      return parsed.success ? { created_at: parsed.data.t, request_id: parsed.data.r, item_index: parsed.data.i } : null;
    } catch {
      return null;
    }
  }
}
