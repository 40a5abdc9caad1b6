import { gatewayRoutes, openApiDocument as generate } from '@detector/contract';

/** The API description served at /openapi.json, generated from the contract's route table and schemas. */
export function openApiDocument(): Record<string, unknown> {
  return generate(
    {
      title: 'AI text detector API',
      version: '1.0.0',
      description:
        "Gateway in front of the inference service. Errors are always `{error: {code, message}}`; each route lists the codes it can answer under their status. Every answer carries `X-Request-Id` (made by the gateway); a caller's own `X-Request-Id` comes back as `X-Client-Request-Id`. JSON bodies must be `application/json` (charset utf-8 at most) and UTF-8.",
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'dk_live_<prefix>_<secret>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    gatewayRoutes,
  );
}
