import path from 'node:path';
import { BatchQueue } from './batch-queue.ts';
import type { Config } from '../config.ts';
import { ApiError } from '@detector/contract';
import { extractFeatures, planFor, type ExtractOptions, type TextFeatures } from './features/text-features.ts';
import { resolveLayer } from './features/pooling.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { loadPack, type ModelPack } from '../backends/load-pack.ts';
import { runBatch } from '../backends/run-batch.ts';
import type { FeatureSource } from './scoring.ts';
import { DetectorRegistry } from './detector-catalogue.ts';
import { LanguageIdentifier } from './language.ts';
import { prepareArtifacts } from '@detector/registry/sync.ts';

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
    const dirs = await prepareArtifacts(this.config, this.log);
    const executionProviders = this.config.ORT_EXECUTION_PROVIDERS.split(',').filter(Boolean);
    const names = this.config.MODEL_PACKS.split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of names) {
      const pack = await loadPack(path.join(dirs.packsDir, name), { intraOpThreads: this.config.ORT_INTRA_OP_THREADS, executionProviders });
      const queue = new BatchQueue(
        (seqs, outputs) => runBatch(pack, seqs, outputs),
        { maxBatchTokens: this.config.BATCH_MAX_TOKENS, maxWaitMs: this.config.BATCH_MAX_WAIT_MS, maxDepth: this.config.QUEUE_MAX_WINDOWS },
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
      this.models.set(pack.name, { pack, queue });
      if (!this.defaultModel) this.defaultModel = pack.name;
      this.log.info('model pack loaded', { model: pack.name, layers: pack.manifest.layers_in_outputs, max_tokens: pack.manifest.max_sequence_length });
    }
    if (opts.detectors !== false) {
      const shas = new Map([...this.models.values()].map((m) => [m.pack.name, m.pack.manifest.model_sha256]));
      const layers = new Map([...this.models.values()].map((m) => [m.pack.name, m.pack.manifest.layers_in_outputs]));
      this.detectors = await DetectorRegistry.load(dirs.detectorsDir, this.config.DEFAULT_DETECTOR, shas, layers);
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
      if (idx === null) throw new ApiError('unknown_layer', `layer ${l} does not exist; this model has layers 0..${n - 1} (or -${n}..-1)`, { details: { layer: l } });
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
    const encoded = texts.map((t) => model.pack.tokenizer.encode(t));
    const windows = encoded.reduce((n, e) => n + planFor(model.pack, e.ids.length, overlap).length, 0);
    if (windows > this.config.QUEUE_MAX_WINDOWS) {
      throw new ApiError('batch_too_large', `this request needs ${windows} model windows; at most ${this.config.QUEUE_MAX_WINDOWS} fit in one request`);
    }
    if (!model.queue.hasRoomFor(windows)) {
      throw new ApiError('queue_full', 'the inference queue is full; retry shortly', { retryAfter: 1 });
    }
    return Promise.all(encoded.map((e) => extractFeatures(model.pack, model.queue, e, { ...opts, overlap })));
  }

  async stop(): Promise<void> {
    this.ready = false;
    await Promise.all([...this.models.values()].map((m) => m.queue.drain()));
    await Promise.all([...this.models.values()].map((m) => m.pack.session.release()));
  }
}
