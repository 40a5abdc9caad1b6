import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real service as its own process, for tests and benches that must watch it from outside. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  stop(): void;
}

/** Starts `src/main.ts` on a free port and waits until /ready answers 200. */
export async function startServiceProcess(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORT_INTRA_OP_THREADS: '2', OCR_THREADS: '2', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      stop();
      throw new Error('the service did not become ready');
    }
    if (
      await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child, pid: child.pid!, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A field of /proc/<pid>/status in MB (VmRSS: now, VmHWM: peak); NaN once the process is gone. */
export function procMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The process ids started by `pid` (one level down). */
export function childPids(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export interface HealthReport {
  /** The slowest /health answer; a probe still unanswered when the watch ends counts its age. */
  slowestMs: number;
  answered: number;
  failed: number;
  peakRssMb: number;
  /** The largest of the service's own child processes (the extraction sandboxes). */
  peakChildRssMb: number;
}

/**
 * Probes /health every `everyMs` and samples the service's RSS (and its children's) while an
 * upload runs. A blocked event loop shows as probes that stay open, so those count too. `stop`
 * gives the probes in flight up to `settleMs` to answer before it reports.
 */
export function watchHealth(svc: ServiceProcess, everyMs = 200): { stop(settleMs?: number): Promise<HealthReport> } {
  let slowestMs = 0;
  let answered = 0;
  let failed = 0;
  let peakRssMb = 0;
  let peakChildRssMb = 0;
  const open = new Map<number, Promise<void>>();
  const probe = () => {
    peakRssMb = Math.max(peakRssMb, procMb(svc.pid) || 0);
    for (const c of childPids(svc.pid)) peakChildRssMb = Math.max(peakChildRssMb, procMb(c) || 0);
    const started = performance.now();
    const done = fetch(`${svc.url}/health`, { signal: AbortSignal.timeout(120_000) }).then(
      (r) => {
        if (r.ok) answered++;
        else failed++;
        slowestMs = Math.max(slowestMs, performance.now() - started);
      },
      () => {
        failed++;
      },
    );
    open.set(
      started,
      done.finally(() => open.delete(started)),
    );
  };
  probe();
  const timer = setInterval(probe, everyMs);
  return {
    async stop(settleMs = 5_000) {
      clearInterval(timer);
      await Promise.race([Promise.all(open.values()), new Promise((r) => setTimeout(r, settleMs))]);
      const now = performance.now();
      for (const started of open.keys()) slowestMs = Math.max(slowestMs, now - started);
      return { slowestMs, answered, failed, peakRssMb, peakChildRssMb };
    },
  };
}

/** Posts one file to /v1/extract; `status` 0 means no answer within `timeoutMs`. */
export async function postFile(url: string, bytes: Uint8Array, filename: string, timeoutMs = 60_000): Promise<{ status: number; code?: string; ms: number }> {
  const form = new FormData();
  form.append('file', new Blob([Uint8Array.from(bytes)]), filename);
  const started = performance.now();
  try {
    const res = await fetch(`${url}/v1/extract`, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: body.error?.code, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}
