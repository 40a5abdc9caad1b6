// Compiles the service to dist/ so the image runs plain JavaScript: no TypeScript loader in the
// process (tsx costs about 34 MB and start-up time). Workspace packages (@detector/contract,
// detector-kit and registry, which ship TypeScript source) are bundled in; npm dependencies stay external and load from
// node_modules. Code splitting keeps dynamic imports lazy: the S3 client is loaded only by a
// service that reads its packs from a bucket.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
// The service's own npm dependencies load from its node_modules; what the workspace packages use
// and the service does not list (the S3 client, reached by a dynamic import) is bundled in.
const external = Object.keys(pkg.dependencies).filter((d) => !pkg.dependencies[d].startsWith('workspace:'));
const dist = path.join(root, 'dist');
// Built beside dist/ and swapped in: a failed build leaves the last good one, and a service starting
// meanwhile finds a whole one.
const outdir = `${dist}.tmp-${process.pid}`;

await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts', 'sandbox-child': 'src/extract/sandbox-child.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Only the bare package name is listed; subpaths (hono/body-limit) must stay external too.
  external: external.flatMap((d) => [d, `${d}/*`]),
  sourcemap: true,
  logLevel: 'warning',
});
// The model runs on a worker thread loaded by path, beside the code that starts it.
fs.copyFileSync(path.join(root, 'src/backends/model-worker.mjs'), path.join(outdir, 'model-worker.mjs'));
const old = `${dist}.old-${process.pid}`;
if (fs.existsSync(dist)) fs.renameSync(dist, old);
fs.renameSync(outdir, dist);
fs.rmSync(old, { recursive: true, force: true });
