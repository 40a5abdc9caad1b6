import { Worker } from 'node:worker_threads';

export interface SessionOptions {
  intraOpNumThreads: number;
  executionProviders: string[];
  enableCpuMemArena: boolean;
  enableMemPattern: boolean;
}

export interface BatchInputs {
  ids: BigInt64Array;
  mask: BigInt64Array;
  dims: [batch: number, width: number];
}

interface Pending {
  resolve: (out: Record<string, Float32Array>) => void;
  reject: (err: Error) => void;
}

/**
 * One long-lived ONNX Runtime session living on a worker thread. Calls are answered in order;
 * the batching queue never sends a second call before the first returns.
 */
export class WorkerSession {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private released: (() => void) | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    worker.on('message', (msg: { type: string; id?: number; out?: Record<string, Float32Array>; message?: string }) => {
      if (msg.type === 'released') {
        this.released?.();
        return;
      }
      const p = this.pending.get(msg.id!);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.type === 'result') p.resolve(msg.out!);
      else p.reject(new Error(`ONNX Runtime: ${msg.message}`));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`model worker exited with code ${code}`)));
  }

  static create(modelPath: string, options: SessionOptions): Promise<WorkerSession> {
    const worker = new Worker(new URL('./model-worker.mjs', import.meta.url), {
      workerData: { modelPath, options: { ...options, interOpNumThreads: 1, graphOptimizationLevel: 'all' } },
    });
    return new Promise((resolve, reject) => {
      const onFirst = (msg: { type: string; inputNames?: string[]; outputNames?: string[]; message?: string }) => {
        worker.off('error', reject);
        if (msg.type === 'ready') resolve(new WorkerSession(worker, msg.inputNames!, msg.outputNames!));
        else {
          void worker.terminate();
          reject(new Error(`cannot load ${modelPath}: ${msg.message}`));
        }
      };
      worker.once('message', onFirst);
      worker.once('error', reject);
    });
  }

  run(inputs: BatchInputs, outputs: readonly string[]): Promise<Record<string, Float32Array>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, ids: inputs.ids, mask: inputs.mask, dims: inputs.dims, outputs });
    });
  }

  async release(): Promise<void> {
    const done = new Promise<void>((r) => (this.released = r));
    this.worker.postMessage({ type: 'release' });
    await done;
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
