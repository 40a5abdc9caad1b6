import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createKey, gateway, sampleText, stack } from '../support/client.ts';

/**
 * The contract test: every route in each service's own /openapi.json is called with valid inputs
 * and with inputs generated from its request schema to be wrong in one way each. Every answer's
 * status must be one the document declares for that operation, and its body must validate against
 * the schema the document gives for that status. The document is read from the running service,
 * so what is checked is what a client generating code from it would see.
 */

type Json = Record<string, any>;
interface Case {
  name: string;
  path: string;
  method: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer> | FormData;
  query?: string;
}
interface Observation {
  service: string;
  op: string;
  name: string;
  status: number;
  problem: string | null;
}

const MAX_BODY_BYTES = 1024 * 1024;
const OVER_LIMIT = 'over the body limit';

/**
 * A server may answer 413 from Content-Length alone and close before it reads an oversized body;
 * fetch would fail with EPIPE while still writing it. Here the headers go first and the body only
 * if no answer came for them, so the refusal is read whichever way the server does it.
 */
function sendEarlyRefused(url: string, c: Case): Promise<Response> {
  const body = typeof c.body === 'string' ? Buffer.from(c.body) : Buffer.from(c.body as Uint8Array);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: c.method, headers: { ...c.headers, 'content-length': String(body.length) } }, (res) => {
      answered = true;
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers }));
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.flushHeaders();
    const timer = setTimeout(() => req.end(body), 2_000);
  });
}

/**
 * A refusal can come before the server has read the whole body (a busy service answers 503 from
 * the headers, a missing credential 401); fetch then fails with EPIPE while writing. Such a case is
 * sent again with the headers first, its body encoded as fetch would (multipart included), so the
 * answer the server gave is what gets checked.
 */
async function send(url: string, c: Case): Promise<Response> {
  try {
    return await fetch(url, { method: c.method, headers: c.headers, body: c.body });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== 'EPIPE' && code !== 'ECONNRESET') throw err;
    const encoded = new Request(url, { method: c.method, headers: c.headers, body: c.body });
    const body = new Uint8Array(await encoded.arrayBuffer());
    const headers: Record<string, string> = {};
    encoded.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return sendEarlyRefused(url, { ...c, headers, body });
  }
}

function validators(doc: Json, id: string) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
  // Refs in the document point at #/components/schemas/...: give that root an id to resolve against.
  const rewrite = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(rewrite)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? `${id}${x}` : rewrite(x)]))
        : v;
  ajv.addSchema({ $id: id, components: rewrite(doc.components) });
  const cache = new Map<string, ValidateFunction>();
  return (key: string, schema: Json) => {
    let v = cache.get(key);
    if (!v) cache.set(key, (v = ajv.compile(rewrite(schema) as Json)));
    return v;
  };
}

/** A value of the wrong JSON type for a property's schema. */
function wrongValue(schema: Json): unknown {
  const type = schema.type ?? (schema.enum ? 'enum' : schema.anyOf ? 'any' : undefined);
  switch (type) {
    case 'string':
      return 42;
    case 'integer':
      return 1.5;
    case 'number':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array':
      return { not: 'an array' };
    case 'enum':
      return '__not_one_of_them__';
    default:
      return null;
  }
}

/** Invalid variants of a valid JSON body, one per way its request schema can be broken. */
function invalidJsonBodies(schema: Json, valid: Json): Array<[string, string | Uint8Array<ArrayBuffer>, string?]> {
  const out: Array<[string, string | Uint8Array<ArrayBuffer>, string?]> = [
    ['not JSON', '{"text": '],
    ['a JSON array', '[]'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['an unknown field', JSON.stringify({ ...valid, not_a_field: true })],
    ['text/plain', JSON.stringify(valid), 'text/plain'],
    ['no content type', JSON.stringify(valid), ''],
    [OVER_LIMIT, JSON.stringify({ ...valid, pad: 'x'.repeat(MAX_BODY_BYTES) })],
  ];
  for (const [prop, propSchema] of Object.entries<Json>(schema.properties ?? {})) {
    out.push([`${prop} of the wrong type`, JSON.stringify({ ...valid, [prop]: wrongValue(propSchema) })]);
  }
  for (const prop of schema.required ?? []) {
    const { [prop]: _drop, ...rest } = valid;
    out.push([`without ${prop}`, JSON.stringify(rest)]);
  }
  return out;
}

/** Invalid values for each query parameter, from its schema's bounds and type. */
function invalidQueries(params: Json[]): string[] {
  const out = ['unknown_param=1'];
  for (const p of params) {
    const s = p.schema as Json;
    if (s.type === 'integer' || s.type === 'number') {
      out.push(`${p.name}=abc`, `${p.name}=1.5`);
      if (s.minimum !== undefined) out.push(`${p.name}=${s.minimum - 1}`);
      if (s.maximum !== undefined) out.push(`${p.name}=${s.maximum + 1}`);
    } else if (s.type === 'string') {
      out.push(`${p.name}=${encodeURIComponent('not-issued-here')}`);
    }
  }
  return out;
}

const form = (parts: Record<string, [Uint8Array<ArrayBuffer> | string, string] | string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (typeof v === 'string') f.append(k, v);
    else f.append(k, new Blob([v[0]]), v[1]);
  }
  return f;
};
const MULTIPART_CASES: Array<[string, () => FormData | string, string?]> = [
  ['a text file', () => form({ file: ['A short note written in a plain text file.\n', 'note.txt'] })],
  ['a markdown file with a filename field', () => form({ file: ['# Title\n\nSome *text*.', 'blob'], filename: 'notes.md' })],
  ['an empty file', () => form({ file: ['   \n', 'empty.txt'] })],
  ['a file that claims to be a PDF', () => form({ file: ['%PDF-1.7 this is not a real PDF', 'broken.pdf'] })],
  ['a form without a file', () => form({ text: 'hello' })],
  ['JSON instead of multipart', () => '{"text":"hello"}', 'application/json'],
  ['a malformed multipart body', () => '--xyz\r\nbroken', 'multipart/form-data; boundary=xyz'],
];

/** Valid bodies per operation, as a client would send them; each is checked against the document too. */
function validBodies(service: 'gateway' | 'service', path: string): Json[] {
  const text = sampleText(`contract ${crypto.randomUUID()}`);
  switch (path) {
    case '/v1/detect':
      return [
        { text },
        { text, profile: 'balanced', sentences: true },
        { texts: [text, sampleText('second'), ''] },
        { text: 'Too short.' },
        { text, detector: 'no-such-detector' },
        { texts: Array.from({ length: 9 }, (_, i) => `${text} ${i}`) },
        { text: 'x\u0001y' },
        { text: '   ' },
      ];
    case '/v1/demo/detect':
      return [{ text }, { text: 'y'.repeat(2001) }, { texts: [text] }];
    case '/analyze':
      return [{ text }, { text: 'This is a test sentence.' }, { text, model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm' }];
    case '/v1/embed':
      return [{ texts: [text] }, { texts: [text], layer: 999 }, { texts: [text], model: 'no-such-model' }];
    case '/v1/features':
      return [{ texts: [text], per_token: true, layers: [-1] }];
    default:
      throw new Error(`no valid body for ${service} ${path}`);
  }
}

async function walk(
  service: 'gateway' | 'service',
  baseUrl: string,
  authHeaders: Record<string, string>,
  doc: Json,
  extraAuth: Array<[string, Record<string, string>]>,
): Promise<Observation[]> {
  const validate = validators(doc, `${service}.json`);
  const observations: Observation[] = [];

  const check = async (opKey: string, op: Json, c: Case) => {
    const url = `${baseUrl}${c.path}${c.query ? `?${c.query}` : ''}`;
    const res = c.name === OVER_LIMIT ? await sendEarlyRefused(url, c) : await send(url, c);
    const declared = op.responses[String(res.status)] as Json | undefined;
    const record = (problem: string | null) => observations.push({ service, op: opKey, name: c.name, status: res.status, problem });
    if (!declared) {
      return record(`status ${res.status} is not declared (body: ${(await res.text()).slice(0, 200)})`);
    }
    const [mediaType, media] = Object.entries<Json>(declared.content ?? {})[0] ?? [];
    const got = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (mediaType !== got || mediaType !== 'application/json') {
      await res.arrayBuffer(); // read to the end, so the connection is free for the next case
      return record(mediaType === got ? null : `content type ${got}, declared ${mediaType}`);
    }
    const body = await res.json();
    const v = validate(`${opKey} ${res.status}`, media!.schema);
    record(v(body) ? null : `body does not match the ${res.status} schema: ${JSON.stringify(v.errors?.slice(0, 2))} ${JSON.stringify(body).slice(0, 300)}`);
  };

  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      const opKey = `${method.toUpperCase()} ${path}`;
      const M = method.toUpperCase();
      const secured = op.security !== undefined;
      const auth = secured ? authHeaders : {};
      const cases: Case[] = [];
      const json = op.requestBody?.content?.['application/json'];
      const multipart = op.requestBody?.content?.['multipart/form-data'];

      if (json) {
        const schemaRef = json.schema.$ref as string;
        const schema = doc.components.schemas[schemaRef.split('/').pop()!] as Json;
        const valids = validBodies(service, path);
        for (const [i, b] of valids.entries())
          cases.push({
            name: `valid body ${i} ${JSON.stringify(b).slice(0, 60)}`,
            path,
            method: M,
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify(b),
          });
        for (const [name, body, type] of invalidJsonBodies(schema, valids[0]!)) {
          const headers: Record<string, string> = { ...auth };
          if (type !== '') headers['content-type'] = type ?? 'application/json';
          cases.push({ name, path, method: M, headers, body });
        }
      } else if (multipart) {
        for (const [name, make, type] of MULTIPART_CASES) {
          const headers: Record<string, string> = { ...auth };
          if (type) headers['content-type'] = type;
          cases.push({ name, path, method: M, headers, body: make() });
        }
      } else {
        cases.push({ name: 'plain call', path, method: M, headers: auth });
        for (const q of invalidQueries(op.parameters ?? [])) cases.push({ name: `query ${q}`, path, method: M, headers: auth, query: q });
        if (op.parameters?.length) {
          const defaults = (op.parameters as Json[])
            .map((p) => `${p.name}=${p.schema.maximum ?? p.schema.default ?? ''}`)
            .filter((q) => !q.endsWith('=') && !q.startsWith('cursor'));
          cases.push({ name: `query ${defaults.join('&')}`, path, method: M, headers: auth, query: defaults.join('&') });
        }
      }
      if (secured) {
        const first = cases[0]!;
        cases.push({
          ...first,
          name: 'without credentials',
          headers: Object.fromEntries(Object.entries(first.headers ?? {}).filter(([k]) => k !== 'authorization')),
        });
        cases.push({
          ...first,
          name: 'with a wrong credential',
          headers: { ...first.headers, authorization: 'Bearer dk_live_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
        });
        for (const [name, h] of extraAuth) cases.push({ ...first, name, headers: { ...first.headers, ...h } });
      }
      for (const c of cases) {
        // FormData bodies are single-use.
        const again =
          c.body instanceof FormData
            ? { ...c, body: MULTIPART_CASES.find(([n]) => n === c.name)?.[1]() ?? form({ file: ['A short note.\n', 'note.txt'] }) }
            : c;
        await check(opKey, op, again);
      }
    }
  }
  return observations;
}

function report(observations: Observation[]): string[] {
  return observations.filter((o) => o.problem).map((o) => `${o.service} ${o.op} [${o.name}] -> ${o.status}: ${o.problem}`);
}

describe('every documented route answers as its document says', () => {
  it('the gateway', async () => {
    const doc = (await (await fetch(`${gateway()}/openapi.json`)).json()) as Json;
    const key = createKey();
    const extractOnly = createKey({ scopes: 'extract' });
    const revoked = createKey();
    const { revokeKey } = await import('../support/client.ts');
    revokeKey(revoked.prefix);
    const observations = await walk('gateway', gateway(), { authorization: `Bearer ${key.key}` }, doc, [
      ['with a key that lacks the scope', { authorization: `Bearer ${extractOnly.key}` }],
      ['with a revoked key', { authorization: `Bearer ${revoked.key}` }],
    ]);
    expect(report(observations)).toEqual([]);
    const statuses = (op: string) => new Set(observations.filter((o) => o.op === op).map((o) => o.status));
    // The walk reached the answers the document once left out.
    expect(statuses('POST /v1/extract')).toContain(422);
    expect(statuses('POST /v1/demo/extract')).toContain(422);
    expect(statuses('GET /v1/usage')).toContain(400);
    for (const op of ['POST /v1/detect', 'POST /analyze', 'POST /v1/demo/detect']) {
      for (const s of [200, 400, 413, 415]) expect(statuses(op), `${op} ${s}`).toContain(s);
    }
    for (const s of [401, 403]) expect(statuses('POST /v1/detect')).toContain(s);
  }, 600_000);

  it('the inference service', async () => {
    const url = stack().env.INFERENCE_URL!;
    const token = stack().env.INFERENCE_TOKEN;
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as Json;
    const observations = await walk('service', url, token ? { authorization: `Bearer ${token}` } : {}, doc, []);
    expect(report(observations)).toEqual([]);
    const ops = new Set(observations.map((o) => o.op));
    expect(ops).toEqual(new Set(Object.entries<Json>(doc.paths).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`))));
    expect(new Set(observations.filter((o) => o.op === 'POST /v1/extract').map((o) => o.status))).toContain(422);
  }, 600_000);
});
