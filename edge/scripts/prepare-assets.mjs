// Runs before every `wrangler dev` / `wrangler deploy` ([build] in wrangler.toml): makes sure the
// static-asset folder exists before the web page is built, and puts Swagger UI's files beside it
// so /docs works offline with no CDN.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'web/dist');
mkdirSync(dist, { recursive: true });
if (!existsSync(path.join(dist, 'index.html'))) {
  // Placeholder until the web page is built; the web build replaces the folder's contents.
  writeFileSync(
    path.join(dist, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>AI text detector</title><p>The web page is not built yet. API reference: <a href="/docs">/docs</a></p>\n',
  );
}
const require = createRequire(path.join(root, 'edge/package.json'));
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const out = path.join(dist, '_swagger');
mkdirSync(out, { recursive: true });
for (const f of ['swagger-ui.css', 'swagger-ui-bundle.js']) copyFileSync(path.join(swaggerDir, f), path.join(out, f));
