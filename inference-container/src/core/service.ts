import path from 'node:path';
import { BatchQueue } from './batch-queue.ts';
import { currentWork, LOCAL_TENANT } from './work.ts';
import type { Config } from '../config.ts';
import { ApiError } from '@detector/contract';
import { extractFeatures, planFor, type ExtractOptions, type TextFeatures } from './features/text-features.ts';
import { resolveLayer } from './features/pooling.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { loadPack, readManifest, type ModelPack } from '../backends/load-pack.ts';
import { runBatch, vocabTokenBudget } from '../backends/run-batch.ts';
import type { FeatureSource } from './scoring.ts';
import { DetectorRegistry } from './detector-catalogue.ts';
import { LanguageIdentifier } from './language.ts';

/** More characters than any one token holds (the bundled vocabulary's longest, "Ġresponsibilities", has 17). */
const MAX_TOKEN_CHARS = 32;

export interface LoadedModel {
  pack: ModelPack;
  queue: BatchQueue;
}

/**
 * Owns the loaded packs and their batching queues. HTTP handlers go through this and never touch
 * ONNX Runtime directly.
 */
export class InferenceService {
  readonly models = new Map<string, LoadedModel>();
  defaultModel = '';
  ready = false;
  readonly startedAt = performance.now();
  readyAfterMs: number | null = null;
  detectors: DetectorRegistry | null = null;
  language: LanguageIdentifier | null = null;

  constructor(
    readonly config: Config,
    readonly metrics: Metrics,
    readonly log: Logger,
  ) {}

  /** Loads every configured pack, warms each one up, then reports ready. */
  async start(opts: { detectors?: boolean } = {}): Promise<void> {
    const language = this.config.LANGUAGE_ID === 'on' && opts.detectors !== false ? LanguageIdentifier.load() : null;
    // With MODEL_SOURCE set, packs and detectors are first copied from the bucket and verified.
    // The S3 client (about 19 MB) is loaded only for a service that reads a bucket.
    const dirs = this.config.MODEL_SOURCE
      ? await (await import('@detector/registry/sync.ts')).prepareArtifacts(this.config, this.log)
      : { packsDir: this.config.MODEL_PACKS_DIR, detectorsDir: this.config.DETECTORS_DIR };
    const executionProviders = this.config.ORT_EXECUTION_PROVIDERS.split(',').filter(Boolean);
    const names = this.config.MODEL_PACKS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const manifests = await Promise.all(names.map((name) => readManifest(path.join(dirs.packsDir, name))));
    const loadAt = (i: number) =>
      loadPack(
        path.join(dirs.packsDir, names[i]!),
        {
          intraOpThreads: this.config.ORT_INTRA_OP_THREADS,
          executionProviders,
          cpuMemArena: this.config.ORT_CPU_MEM_ARENA === 'on',
          memPattern: this.config.ORT_MEM_PATTERN === 'on',
        },
        manifests[i],
      );
    // The first session starts building on its thread before this one gets busy with detectors.
    let next = names.length > 0 ? loadAt(0) : null;
    next?.catch(() => {});
    // Detectors are checked against the packs' recorded sha256 (loadPack holds each file to it), so
    // they load on this thread while the model sessions are built on theirs.
    const detectors =
      opts.detectors !== false
        ? DetectorRegistry.load(
            dirs.detectorsDir,
            this.config.DEFAULT_DETECTOR,
            new Map(manifests.map((m) => [m.name, m.model_sha256])),
            new Map(manifests.map((m) => [m.name, m.layers_in_outputs])),
          )
        : null;
    // Each is awaited below; a failure is reported there, not as an unhandled rejection meanwhile.
    detectors?.catch(() => {});
    language?.catch(() => {});
    for (let i = 0; i < names.length; i++) {
      // Packs load one after another: two sessions building at once would double the peak.
      const pack = await (next ?? loadAt(i));
      next = null;
      const vocabTokens = vocabTokenBudget(this.config.BATCH_MAX_VOCAB_MB, pack.manifest.vocab_size);
      const queue = new BatchQueue(
        (seqs, outputs) => runBatch(pack, seqs, outputs, vocabTokens),
        {
          maxBatchTokens: this.config.BATCH_MAX_TOKENS,
          maxWaitMs: this.config.BATCH_MAX_WAIT_MS,
          maxDepth: this.config.QUEUE_MAX_WINDOWS,
          maxTenantTokens: this.config.QUEUE_TENANT_MAX_TOKENS,
          lowPriority: {
            tenants: this.config.QUEUE_LOW_PRIORITY_TENANTS,
            maxBatchTokens: this.config.QUEUE_LOW_PRIORITY_BATCH_TOKENS,
            maxShare: this.config.QUEUE_LOW_PRIORITY_SHARE,
          },
        },
        (s) => {
          this.metrics.batchSize.observe({ model: pack.name }, s.size);
          this.metrics.batchSeconds.observe({ model: pack.name, outputs: s.outputs }, s.seconds);
          this.metrics.tokens.inc({ model: pack.name }, s.realTokens);
          this.metrics.paddedTokens.inc({ model: pack.name }, s.paddedTokens);
          this.metrics.queueDepth.set({ model: pack.name }, queue.depth);
        },
      );
      // The first call allocates ONNX Runtime's buffers; pay for it before taking traffic.
      await runBatch(pack, [[pack.manifest.bos_token_id, 1, 2, 3]], ['mean_pooled', 'token_logprob', 'expected_logprob', 'logprob_variance']);
      // One window through the queue measures the model's throughput, so the very first request's
      // deadline is judged on a real number rather than admitted blind; real batches refine it.
      // It is kept short: a window's vocabulary tensors grow ONNX Runtime's arena and an idle
      // service keeps what they took (a full-length window about 95 MB, 128 tokens 16 MB); 64
      // tokens fit in the arena the warm-up left, and cost 8% more per token than long windows, so
      // the first estimate errs on the side of refusing.
      const width = Math.min(pack.manifest.max_sequence_length, this.config.BATCH_MAX_TOKENS, 64);
      await queue.submit(
        Array.from({ length: width }, (_, i) => (i === 0 ? pack.manifest.bos_token_id : 1 + (i % 1000))),
        ['token_logprob', 'expected_logprob', 'logprob_variance'],
      );
      this.models.set(pack.name, { pack, queue });
      if (!this.defaultModel) this.defaultModel = pack.name;
      this.log.info('model pack loaded', { model: pack.name, layers: pack.manifest.layers_in_outputs, max_tokens: pack.manifest.max_sequence_length });
    }
    if (detectors) {
      this.detectors = await detectors;
      this.language = await language;
    }
    this.ready = true;
    this.readyAfterMs = performance.now() - this.startedAt;
  }

  registry(): DetectorRegistry {
    if (!this.detectors) throw new ApiError('not_ready', 'detectors are not loaded', { retryAfter: 1 });
    return this.detectors;
  }

  model(name?: string): LoadedModel {
    const key = name ?? this.defaultModel;
    const m = this.models.get(key);
    if (!m) throw new ApiError('unknown_model', `unknown model '${key}'; available: ${[...this.models.keys()].join(', ')}`);
    return m;
  }

  resolveLayers(model: LoadedModel, layers: number[]): number[] {
    const n = model.pack.manifest.layers_in_outputs;
    return layers.map((l) => {
      const idx = resolveLayer(l, n);
      if (idx === null)
        throw new ApiError('unknown_layer', `layer ${l} does not exist; this model has layers 0..${n - 1} (or -${n}..-1)`, { details: { layer: l } });
      return idx;
    });
  }

  /** What scoring needs from one loaded model: its features, and its window length. */
  featureSource(model: LoadedModel): FeatureSource {
    return { features: (texts, opts) => this.features(model, texts, opts), maxSequenceLength: model.pack.manifest.max_sequence_length };
  }

  /**
   * Features for a batch of prepared texts. The whole request is admitted or refused up front,
   * so a full queue never leaves half a request computed.
   */
  async features(model: LoadedModel, texts: string[], opts: Omit<ExtractOptions, 'overlap'>): Promise<TextFeatures[]> {
    const overlap = this.config.WINDOW_OVERLAP_TOKENS;
    const work = currentWork.getStore() ?? { tenant: LOCAL_TENANT };
    // No token is longer than MAX_TOKEN_CHARS, so the texts are this many tokens at least:
    // work that cannot meet its deadline even then is refused before seconds of tokenizing.
    model.queue.checkDeadline(Math.floor(texts.reduce((n, t) => n + t.length, 0) / MAX_TOKEN_CHARS), work);
    const encoded = [];
    for (const t of texts) {
      encoded.push(model.pack.tokenizer.encode(t));
      // Tokenizing 64 long texts takes a second or more; between texts other requests get their
      // turn, so a short one is not held up before it even reaches the fair-share queue.
      if (texts.length > 1) await new Promise((r) => setImmediate(r));
    }
    const windows = encoded.reduce((n, e) => n + planFor(model.pack, e.ids.length, overlap).length, 0);
    if (windows > this.config.QUEUE_MAX_WINDOWS) {
      throw new ApiError('batch_too_large', `this request needs ${windows} model windows; at most ${this.config.QUEUE_MAX_WINDOWS} fit in one request`);
    }
    const tokens = encoded.reduce((n, e) => n + e.ids.length, 0);
    model.queue.admit(windows, tokens, work);
    return Promise.all(encoded.map((e) => extractFeatures(model.pack, model.queue, e, { ...opts, overlap }, work)));
  }

  async stop(): Promise<void> {
    this.ready = false;
    await Promise.all([...this.models.values()].map((m) => m.queue.drain()));
    await Promise.all([...this.models.values()].map((m) => m.pack.session.release()));
  }
}
