import fs from 'node:fs';
import readline from 'node:readline';
import { z } from 'zod';

/** One labelled example. Only text and label are required, so any {text, label} JSONL works. */
export const exampleSchema = z.looseObject({
  text: z.string(),
  label: z.union([z.enum(['human', 'ai']), z.literal(0), z.literal(1)]).transform((l) => (l === 1 || l === 'ai' ? 'ai' : 'human') as 'ai' | 'human'),
  id: z.string().optional(),
  domain: z.string().optional(),
  generator: z.string().optional(),
  source: z.string().optional(),
  pair: z.string().optional(),
  attack: z.string().optional(),
});
export type Example = z.infer<typeof exampleSchema>;

export async function readJsonl(file: string): Promise<Example[]> {
  const out: Example[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Error(`${file}:${line}: not valid JSON`);
    }
    const parsed = exampleSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${file}:${line}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    out.push(parsed.data);
  }
  return out;
}

/** Deterministic split by a group key, so texts that share a prompt stay on one side. */
export function groupHash(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) / 4294967296;
}
