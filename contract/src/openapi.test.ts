import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { gatewayRoutes, serviceRoutes } from './routes.ts';

type Json = Record<string, any>;
const info = { title: 't', version: '1', description: 'd', securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } };
const gateway = openApiDocument(info, gatewayRoutes) as Json;
const service = openApiDocument(info, serviceRoutes) as Json;
const statuses = (doc: Json, method: string, path: string) => Object.keys(doc.paths[path][method].responses);

describe('generated OpenAPI documents', () => {
  it('declare the answers the routes give', () => {
    expect(statuses(gateway, 'post', '/v1/extract')).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '415', '422', '429', '502', '503']));
    expect(statuses(gateway, 'post', '/v1/demo/extract')).toEqual(expect.arrayContaining(['200', '413', '415', '422', '429', '503']));
    expect(statuses(gateway, 'get', '/v1/usage')).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429', '503']));
    expect(statuses(gateway, 'post', '/v1/detect')).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '413', '415', '429', '502', '503', '504']),
    );
  });

  it('lists under each error status exactly the codes of that status', () => {
    for (const doc of [gateway, service]) {
      for (const ops of Object.values<Json>(doc.paths)) {
        for (const op of Object.values<Json>(ops)) {
          for (const [status, r] of Object.entries<Json>(op.responses)) {
            const codes: string[] | undefined = r.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum;
            if (codes) for (const c of codes) expect(ERROR_STATUS[c as keyof typeof ERROR_STATUS]).toBe(Number(status));
          }
        }
      }
    }
  });

  it("describes /analyze in the original shape, not /v1/detect's", () => {
    const ref = gateway.paths['/analyze'].post.responses['200'].content['application/json'].schema.$ref as string;
    const schema = gateway.components.schemas[ref.split('/').pop()!];
    expect(schema.properties.prediction).toMatchObject({ type: 'integer', minimum: 0, maximum: 1 });
    expect(schema.required).toEqual(expect.arrayContaining(['prediction', 'probability', 'is_fake', 'label', 'warnings', 'detector', 'confidence']));
  });

  it('gives every JSON answer a schema with its fields', () => {
    for (const doc of [gateway, service]) {
      for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) {
        if (name === 'OpenApiDocument') continue;
        const described = schema.properties !== undefined || schema.anyOf !== undefined || schema.oneOf !== undefined;
        expect(described, name).toBe(true);
      }
    }
  });

  it('takes request schemas as a client writes them: defaulted fields are optional', () => {
    expect(gateway.components.schemas.DetectRequest.required ?? []).not.toContain('profile');
    const limit = gateway.paths['/v1/predictions'].get.parameters.find((p: Json) => p.name === 'limit');
    expect(limit).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } });
  });
});
