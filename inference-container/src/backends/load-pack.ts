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

/** Loads and verifies a pack; refuses one whose files do not match their recorded sha256. */
export async function loadPack(dir: string, opts: LoadPackOptions): Promise<ModelPack> {
  const read = async (file: string) => {
    try {
      return await fs.readFile(path.join(dir, file), 'utf8');
    } catch {
      throw new PackError(`model pack ${dir} has no ${file}`);
    }
  };
  const parsed = manifestSchema.safeParse(JSON.parse(await read('manifest.json')));
  if (!parsed.success) throw new PackError(`model pack ${dir}: invalid manifest.json: ${parsed.error.message}`);
  const manifest = parsed.data;

  const modelPath = path.join(dir, 'model.onnx');
  const actual = await sha256File(modelPath).catch(() => {
    throw new PackError(`model pack ${dir} has no model.onnx`);
  });
  if (actual !== manifest.model_sha256) {
    throw new PackError(`model pack ${manifest.name}: model.onnx sha256 ${actual} does not match the manifest's ${manifest.model_sha256}`);
  }
  const tokenizerText = await read('tokenizer.json');
  if (manifest.tokenizer_sha256) {
    const tokSha = await sha256File(path.join(dir, 'tokenizer.json'));
    if (tokSha !== manifest.tokenizer_sha256) throw new PackError(`model pack ${manifest.name}: tokenizer.json sha256 mismatch`);
  }
  const tokenizer = new TextTokenizer(JSON.parse(tokenizerText));
  const session = await WorkerSession.create(modelPath, {
    intraOpNumThreads: opts.intraOpThreads,
    executionProviders: [...(opts.executionProviders ?? []), 'cpu'],
    enableCpuMemArena: opts.cpuMemArena ?? true,
    enableMemPattern: opts.memPattern ?? true,
  });
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) {
      await session.release();
      throw new PackError(`model pack ${manifest.name}: ONNX graph lacks input ${name}`);
    }
  }
  return { name: manifest.name, dir, manifest, tokenizer, session };
}
