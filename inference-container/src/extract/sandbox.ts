import os from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ErrorCode, ExtractResponse } from '@detector/contract';
import { ApiError } from '@detector/contract';
import type { Logger } from '../log.ts';
import type { ExtractConfig } from './config.ts';
import type { Upload } from './extract-file.ts';

/** What the service sends an extraction process, and what comes back (see sandbox-child.ts). */
export interface SandboxJob {
  upload: Upload;
  cfg: ExtractConfig;
}
export type SandboxReply =
  | { ready: true }
  | { ok: ExtractResponse }
  | { refused: { code: ErrorCode; message: string; retryAfter?: number } }
  | { crashed: string };

// Compiled (dist/, as the image runs it) the child is plain JavaScript beside this code; from
// source it needs the TypeScript loader.
const COMPILED = import.meta.url.endsWith('.js');
const CHILD = fileURLToPath(new URL(COMPILED ? './sandbox-child.js' : './sandbox-child.ts', import.meta.url));
// Resolved from here, not from the service's flags or working directory, so a child starts the
// same way under `node --import tsx`, the tsx CLI and vitest.
const LOADER = COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
// A parser can allocate quickly; the cap may be overshot by what it gains in one interval.
const RSS_POLL_MS = 50;
/**
 * The only variables an extraction process sees. It parses what strangers upload, so it gets no
 * secret the service holds (INFERENCE_TOKEN, bucket keys, the pepper): what the parsers cannot read
 * they cannot leak. Settings reach it with the job, not through the environment.
 */
const CHILD_ENV = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'TZ', 'NODE_ENV', 'MALLOC_ARENA_MAX'] as const;
/** Extraction runs below the model service's priority: a slow parser must not take the cores detection needs. */
const CHILD_NICE = 10;

export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(CHILD_ENV.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}
const STDERR_TAIL_BYTES = 4096;

/** Resident memory in MB from /proc; 0 where there is no /proc, leaving only the heap cap. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// Nobody reads this answer; callers mostly leave because their own deadline passed.
const callerGone = () => new ApiError('timeout', 'the caller closed the connection before the file was read');

/** Whether the child (its process, IPC channel and stderr pipe) keeps this process's event loop alive. */
function holdOpen(proc: ChildProcess, hold: boolean): void {
  for (const handle of [proc, proc.channel, proc.stderr as Socket | null]) {
    if (hold) handle?.ref();
    else handle?.unref();
  }
}

interface Worker {
  proc: ChildProcess;
  ready: Promise<void>;
  stderr: () => string;
}

/**
 * Reads each upload in a process of its own, so the process that holds the model and answers
 * /health never runs a parser: a file that loops, balloons or crashes a native library costs
 * only its own process. Each job has a wall-clock deadline and a memory cap (V8 heap by flag,
 * resident memory by polling, which also covers sharp and onnxruntime); passing either kills
 * the process and answers 422 `extraction_timeout` or 413 `extraction_too_large`. A process
 * never serves a second job; one spare is started ahead so a job does not wait for Node to boot.
 */
export class ExtractSandbox {
  #running = 0;
  #waiting: Array<() => void> = [];
  #spare: Worker | null = null;

  constructor(private readonly cfg: ExtractConfig) {}

  async run(upload: Upload, opts: { signal?: AbortSignal; log?: Logger } = {}): Promise<ExtractResponse> {
    await this.#acquire(opts.signal);
    try {
      return await this.#runOne(upload, opts);
    } finally {
      this.#release();
    }
  }

  async #acquire(signal?: AbortSignal): Promise<void> {
    if (this.#running < this.cfg.EXTRACT_CONCURRENCY) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.cfg.EXTRACT_QUEUE_MAX) {
      throw new ApiError('queue_full', 'too many files are waiting to be read; try again shortly', { retryAfter: 2 });
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', gone);
        resolve();
      };
      // A caller who has gone should not hold a place in the line.
      const gone = () => {
        this.#waiting = this.#waiting.filter((w) => w !== go);
        reject(callerGone());
      };
      this.#waiting.push(go);
      signal?.addEventListener('abort', gone, { once: true });
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next)
      next(); // the slot passes straight to the next job
    else this.#running--;
  }

  #take(): Worker {
    const spare = this.#spare;
    this.#spare = this.#spawn();
    return spare?.proc.connected ? spare : this.#spawn();
  }

  #spawn(): Worker {
    const proc = fork(CHILD, [], {
      execArgv: [...LOADER, `--max-old-space-size=${this.cfg.EXTRACT_MAX_HEAP_MB}`],
      serialization: 'advanced', // the upload's bytes cross as bytes, not as JSON
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: childEnv(process.env),
    });
    try {
      if (proc.pid !== undefined) os.setPriority(proc.pid, CHILD_NICE);
    } catch {
      // Without the right to lower a process's priority (some platforms), it runs at the service's own.
    }
    let tail = '';
    proc.stderr!.on('data', (d: Buffer) => {
      tail = (tail + d.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('error', reject);
      proc.once('exit', () => reject(new Error('the extraction process exited before it was ready')));
    });
    ready.catch(() => undefined); // a spare that dies idle is simply replaced
    // An idle spare must not keep the service (or a test runner) alive.
    holdOpen(proc, false);
    return { proc, ready, stderr: () => tail };
  }

  #runOne(upload: Upload, { signal, log }: { signal?: AbortSignal; log?: Logger }): Promise<ExtractResponse> {
    const { cfg } = this;
    const worker = this.#take();
    const { proc } = worker;
    // Referenced while it works, so the service waits for the answer like any other request.
    holdOpen(proc, true);
    return new Promise<ExtractResponse>((resolve, reject) => {
      let stopped: 'timeout' | 'memory' | 'caller_gone' | null = null;
      let peakMb = 0;
      const kill = (why: NonNullable<typeof stopped>) => {
        stopped ??= why;
        proc.kill('SIGKILL');
      };
      const deadline = setTimeout(() => kill('timeout'), cfg.EXTRACT_TIMEOUT_MS);
      const watch = setInterval(() => {
        const mb = rssMb(proc.pid!);
        peakMb = Math.max(peakMb, mb);
        if (mb > cfg.EXTRACT_MAX_RSS_MB) kill('memory');
      }, RSS_POLL_MS);
      const gone = () => kill('caller_gone');
      signal?.addEventListener('abort', gone, { once: true });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearInterval(watch);
        signal?.removeEventListener('abort', gone);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        fn();
      };

      proc.on('message', (m: SandboxReply) => {
        if ('ok' in m) settle(() => resolve(m.ok));
        else if ('refused' in m) settle(() => reject(new ApiError(m.refused.code, m.refused.message, { retryAfter: m.refused.retryAfter })));
        else if ('crashed' in m) settle(() => reject(new Error(`extraction failed: ${m.crashed}`)));
      });
      proc.once('exit', (code, sig) =>
        settle(() => {
          const heapOut = /heap out of memory|Reached heap limit/i.test(worker.stderr());
          const why = stopped ?? (heapOut ? 'memory' : null);
          const fields = { reason: why ?? 'crashed', exit_code: code, signal: sig, peak_rss_mb: Math.round(peakMb), bytes: upload.bytes.length };
          if (why === 'timeout') {
            log?.warn('extraction stopped', fields);
            reject(new ApiError('extraction_timeout', `reading the file took longer than ${cfg.EXTRACT_TIMEOUT_MS / 1000} s; it was stopped`));
          } else if (why === 'memory') {
            log?.warn('extraction stopped', fields);
            reject(
              new ApiError(
                'extraction_too_large',
                `reading the file needed more memory than the ${heapOut ? cfg.EXTRACT_MAX_HEAP_MB : cfg.EXTRACT_MAX_RSS_MB} MB allowed; it was stopped`,
              ),
            );
          } else if (why === 'caller_gone') {
            reject(callerGone());
          } else {
            log?.error('extraction process died', { ...fields, stderr: worker.stderr().slice(-1000) });
            reject(new ApiError('extraction_failed', 'the file could not be read: the process reading it stopped unexpectedly'));
          }
        }),
      );
      proc.once('error', (err) => settle(() => reject(err)));
      worker.ready.then(
        // A failed send means the process is going or gone; its exit answers.
        () => proc.send({ upload, cfg } satisfies SandboxJob, (err) => err && proc.kill('SIGKILL')),
        () => undefined, // the exit handler answers
      );
    });
  }
}
