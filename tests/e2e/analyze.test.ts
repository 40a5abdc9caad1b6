import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auth, createKey, eventually, gateway, post, sampleText, sql } from '../support/client.ts';

const ORIGINAL_DEFAULTS = { model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm' };
const codes = (body: { warnings: Array<{ code: string }> }) => body.warnings.map((w) => w.code);
// Debian's interpreter, where apt's python3-requests lives (another python3 may come first on PATH).
const DEBIAN_PYTHON = '/usr/bin/python3';

describe('/analyze for clients written against the original design', () => {
  it('answers the original request, sent verbatim with its defaults, in the original shape', async () => {
    const k = createKey();
    const res = await post(
      '/analyze',
      { text: sampleText(`original ${crypto.randomUUID()}`), ...ORIGINAL_DEFAULTS, pooling: 'mean', dataset_name: 'default' },
      auth(k.key),
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect([0, 1]).toContain(body.prediction);
    expect(body.is_fake).toBe(body.prediction === 1);
    expect(body.probability).toBeGreaterThanOrEqual(0);
    expect(body.probability).toBeLessThanOrEqual(1);
    // `human` is said only below the human threshold; between the thresholds the answer abstains.
    expect(['ai', 'human', 'uncertain']).toContain(body.label);
    if (body.label === 'uncertain') expect(body).toMatchObject({ prediction: 0, is_fake: false, confidence: 0 });
    expect(body.detector).toMatchObject({ name: 'tinylm-detector', version: expect.any(String) });
    expect(codes(body)).toEqual(expect.arrayContaining(['selector_alias', 'ignored_field']));
  });

  it('answers classifier_type lr through the alias table too, and names the detector that ran', async () => {
    const k = createKey();
    const res = await post('/analyze', { text: sampleText(`lr ${crypto.randomUUID()}`), ...ORIGINAL_DEFAULTS, classifier_type: 'lr' }, auth(k.key));
    expect(res.status).toBe(200);
    expect((await res.json()).detector.name).toBe('tinylm-detector');
  });

  it('reports a too-short text as an abstention, in the answer and in the log', async () => {
    const k = createKey();
    const res = await post('/analyze', { text: 'This is a test sentence.', ...ORIGINAL_DEFAULTS }, auth(k.key));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ label: 'uncertain', prediction: 0, is_fake: false, confidence: 0 });
    expect(codes(body)).toContain('too_short');
    const requestId = res.headers.get('x-request-id')!;
    const rows = await eventually(async () => {
      const r = await sql('select route, label, detector, detector_version, warnings from predictions where request_id = $1', [requestId]);
      return r.length ? r : null;
    }, 'the /analyze prediction row');
    // The detector's own warnings; the gateway's notes on the request (selector_alias) are not the text's.
    const detectorWarnings = codes(body).filter((c) => c !== 'selector_alias' && c !== 'ignored_field');
    expect(detectorWarnings).toContain('too_short');
    expect(rows[0]).toEqual({
      route: '/analyze',
      label: 'uncertain',
      detector: body.detector.name,
      detector_version: body.detector.version,
      warnings: detectorWarnings,
    });
  });

  it('runs an unchanged Python client (Debian python3-requests) that reads prediction, probability and is_fake', async () => {
    expect(existsSync(DEBIAN_PYTHON), `${DEBIAN_PYTHON} is missing: apt-get install -y python3-requests`).toBe(true);
    const k = createKey();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'original-client-'));
    try {
      // The client sends no key itself: requests reads it from the netrc file, as Basic auth.
      const netrc = path.join(dir, 'netrc');
      writeFileSync(netrc, `machine ${new URL(gateway()).hostname} login ${k.key} password unused\n`, { mode: 0o600 });
      const text = sampleText(`python ${crypto.randomUUID()}`);
      const client = path.join(path.dirname(fileURLToPath(import.meta.url)), 'clients/original_client.py');
      const run = spawnSync(DEBIAN_PYTHON, [client, gateway(), text], {
        env: { PATH: process.env.PATH, HOME: dir, NETRC: netrc, NO_PROXY: '*' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const m = /^(AI-generated|Human-written) ([0-9.e-]+) (True|False)\n$/.exec(run.stdout);
      expect(m, run.stdout).not.toBeNull();
      // The same text again is a cache hit: the client printed exactly what the gateway answers.
      const again = await (await post('/analyze', { text, ...ORIGINAL_DEFAULTS, pooling: 'mean', dataset_name: 'default' }, auth(k.key))).json();
      expect(again.cached).toBe(true);
      expect(m![1]).toBe(again.prediction === 1 ? 'AI-generated' : 'Human-written');
      expect(Number(m![2])).toBeCloseTo(again.probability, 9);
      expect(m![3]).toBe(again.is_fake ? 'True' : 'False');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers a preflight from the page dev server origin through workerd', async () => {
    const res = await fetch(`${gateway()}/analyze`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});
