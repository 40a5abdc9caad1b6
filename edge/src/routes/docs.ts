import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { openApiDocument } from '../openapi.ts';

/** Swagger UI's files are Worker static assets under /_swagger/ (copied at build time): no CDN. */
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<link rel="stylesheet" href="/_swagger/swagger-ui.css">
</head>
<body>
<div id="swagger"></div>
<script src="/_swagger/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger' });</script>
</body>
</html>`;

let doc: Record<string, unknown> | null = null;

export const docsRoutes = new Hono<AppEnv>().get('/openapi.json', (c) => c.json((doc ??= openApiDocument()))).get('/docs', (c) => c.html(DOCS_HTML));
