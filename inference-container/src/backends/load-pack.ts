import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkerSession } from './worker-session.ts';
import { manifestSchema, type Manifest } from '@detector/detector-kit/pack-manifest.ts';
import { sha256File } from '@detector/detector-kit/sha256.ts';
import { TextTokenizer } from './tokenizer.ts';

export interface ModelPack {
  name: string;
  dir: string;
  manifest: Manifest;
  tokenizer: TextTokenizer;
  /** One long-lived session per pack, on its own thread. */
  session: WorkerSession;
}

export class PackError extends Error {
  override name = 'PackError';
}

export interface LoadPackOptions {
  intraOpThreads: number;
  /** Extra execution providers tried before the CPU (for example 'cuda' in a GPU image). */
  executionProviders?: string[];
  /** ONNX Runtime's CPU arena (default on). */
  cpuMemArena?: boolean;
  memPattern?: boolean;
}

async function readPackFile(dir: string, file: string): Promise<string> {
  try {
    return await fs.readFile(path.join(dir, file), 'utf8');
  } catch {
    throw new PackError(`model pack ${dir} has no ${file}`);
  }
}

/** A pack's manifest, schema-checked: cheap, so a caller can plan with it before the model loads. */
export async function readManifest(dir: string): Promise<Manifest> {
  const parsed = manifestSchema.safeParse(JSON.parse(await readPackFile(dir, 'manifest.json')));
  if (!parsed.success) throw new PackError(`model pack ${dir}: invalid manifest.json: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Loads and verifies a pack; refuses one whose files do not match their recorded sha256. The
 * session is created on its worker thread while this thread hashes the files and reads the
 * tokenizer: start-up pays for the slowest of them, not their sum. A session built from a file
 * that then fails its hash is released before anything can use it.
 */
export async function loadPack(dir: string, opts: LoadPackOptions, known?: Manifest): Promise<ModelPack> {
  const manifest = known ?? (await readManifest(dir));
  const modelPath = path.join(dir, 'model.onnx');
  if (!existsSync(modelPath)) throw new PackError(`model pack ${dir} has no model.onnx`);
  const session = WorkerSession.create(modelPath, {
    intraOpNumThreads: opts.intraOpThreads,
    executionProviders: [...(opts.executionProviders ?? []), 'cpu'],
    enableCpuMemArena: opts.cpuMemArena ?? true,
    enableMemPattern: opts.memPattern ?? true,
  });
  const verified = (async () => {
    const actual = await sha256File(modelPath);
    if (actual !== manifest.model_sha256) {
      throw new PackError(`model pack ${manifest.name}: model.onnx sha256 ${actual} does not match the manifest's ${manifest.model_sha256}`);
    }
    const tokenizerText = await readPackFile(dir, 'tokenizer.json');
    if (manifest.tokenizer_sha256) {
      const tokSha = await sha256File(path.join(dir, 'tokenizer.json'));
      if (tokSha !== manifest.tokenizer_sha256) throw new PackError(`model pack ${manifest.name}: tokenizer.json sha256 mismatch`);
    }
    return new TextTokenizer(JSON.parse(tokenizerText));
  })();
  const [tokenizer, ready] = await Promise.allSettled([verified, session]);
  if (tokenizer.status === 'rejected' || ready.status === 'rejected') {
    if (ready.status === 'fulfilled') await ready.value.release();
    throw tokenizer.status === 'rejected' ? tokenizer.reason : (ready as PromiseRejectedResult).reason;
  }
  for (const name of ['input_ids', 'attention_mask']) {
    if (!ready.value.inputNames.includes(name)) {
      await ready.value.release();
      throw new PackError(`model pack ${manifest.name}: ONNX graph lacks input ${name}`);
    }
  }
  return { name: manifest.name, dir, manifest, tokenizer: tokenizer.value, session: ready.value };
}
