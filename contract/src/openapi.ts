import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from './errors.ts';
import type { HeaderName, RouteSpec } from './routes.ts';

type Json = Record<string, unknown>;

export interface ServiceInfo {
  title: string;
  version: string;
  description: string;
  /** How `auth: 'key'` or `auth: 'token'` routes authenticate. */
  securitySchemes: Record<string, Json>;
}

// Nothing is registered in it: every component is generated whole rather than split on global ids.
const noMetadata = z.registry<Record<string, unknown>>();

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: noMetadata }) as Json;
  return rest;
}

/** The error body a route answers with one status, its code limited to the ones it can give. */
export function errorBodyFor(codes: ErrorCode[]) {
  return z.object({
    error: z.object({ code: z.enum(codes as [ErrorCode, ...ErrorCode[]]), message: z.string(), details: z.unknown().optional() }),
  });
}

/** Error codes a route declares, grouped by the status they answer with. */
export function errorStatuses(route: RouteSpec): Map<number, ErrorCode[]> {
  const out = new Map<number, ErrorCode[]>();
  for (const code of route.errors) {
    const status = ERROR_STATUS[code];
    out.set(status, [...(out.get(status) ?? []), code]);
  }
  return out;
}

const HEADERS: Record<HeaderName, Record<string, Json>> = {
  RateLimit: {
    'RateLimit-Limit': { schema: { type: 'integer' }, description: 'requests allowed in the current window' },
    'RateLimit-Remaining': { schema: { type: 'integer' } },
    'RateLimit-Reset': { schema: { type: 'integer' }, description: 'seconds until the window resets' },
  },
  'Retry-After': { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait before trying again' } },
  'X-Cache': { 'X-Cache': { schema: { type: 'string', enum: ['HIT', 'MISS', 'PARTIAL'] }, description: 'whether the answer came from the response cache' } },
};
const headers = (names: HeaderName[] = []) => (names.length ? { headers: Object.assign({}, ...names.map((n) => HEADERS[n])) } : {});
const json = (schema: Json) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** OpenAPI 3.1 for one service, generated from its route table and the contract's zod schemas. */
export function openApiDocument(info: ServiceInfo, routes: RouteSpec[]): Json {
  const schemas: Record<string, Json> = {};
  const component = (name: string, schema: z.ZodType, io: 'input' | 'output') => {
    schemas[name] ??= jsonSchema(schema, io);
    return ref(name);
  };
  const security = Object.keys(info.securitySchemes).map((k) => ({ [k]: [] }));
  const paths: Record<string, Record<string, Json>> = {};

  for (const r of routes) {
    const responses: Record<string, Json> = {};
    for (const ok of r.ok) {
      const content = ok.schema ? json(component(ok.name!, ok.schema, 'output')) : { content: { [ok.contentType!]: { schema: { type: 'string' } } } };
      responses[String(ok.status)] = { description: ok.description, ...headers(ok.headers), ...content };
    }
    for (const o of r.other ?? [])
      responses[String(o.status)] = { description: o.description, ...headers(o.headers), ...json(component(o.name, o.schema, 'output')) };
    for (const [status, codes] of [...errorStatuses(r)].sort((a, b) => a[0] - b[0])) {
      const retry: HeaderName[] = status === 429 || status === 503 ? ['Retry-After'] : [];
      responses[String(status)] = { description: `error: ${codes.join(', ')}`, ...headers(retry), ...json(jsonSchema(errorBodyFor(codes), 'output')) };
    }
    const op: Json = { summary: r.summary, operationId: operationId(r), responses };
    if (r.auth !== 'none') op.security = security;
    if (r.body && 'json' in r.body) op.requestBody = { required: true, ...json(component(r.body.name, r.body.json, 'input')) };
    if (r.body && 'multipart' in r.body) {
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, filename: { type: 'string' } } },
          },
        },
      };
    }
    if (r.query) {
      op.parameters = Object.entries(r.query.shape).map(([name, s]) => ({
        name,
        in: 'query',
        required: !(s as z.ZodType).safeParse(undefined).success,
        schema: jsonSchema(s as z.ZodType, 'input'),
      }));
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }

  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    components: { securitySchemes: info.securitySchemes, schemas },
    paths,
  };
}

export function operationId(r: RouteSpec): string {
  const words = r.path.split(/[/.]/).filter((w) => w && w !== 'v1');
  return r.method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
