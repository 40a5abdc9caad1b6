import { PROFILE_FPR, type DetectResult, type DetectWarning, type Label, type Profile, type ScoredSpan } from '@detector/contract';
import type { TextFeatures } from '../features/extract.ts';
import type { InferenceService, LoadedModel } from '../service.ts';
import { changedCount, type Normalized } from '../text/normalize.ts';
import { featureVector } from './feature-vector.ts';
import { headScore, probability } from './head-score.ts';
import type { LanguageIdentifier } from './language.ts';
import type { Detector } from './schema.ts';
import { sentenceSpans } from './text-stats.ts';

export interface DetectOptions {
  profile: Profile;
  sentences: boolean;
}

/** Below this confidence the language identifier's "not English" is not trusted enough to abstain. */
const LANGUAGE_CONFIDENCE = 0.5;

/**
 * Decides a label from a score. `strict` flags only above the 1%-FPR threshold and calls texts
 * between the two thresholds `uncertain`; `balanced` flags above the 5%-FPR threshold.
 */
export function decide(d: Detector, score: number, profile: Profile): Label {
  const { strict, balanced } = d.thresholds;
  if (profile === 'balanced') return score >= balanced.score ? 'ai' : 'human';
  if (score >= strict.score) return 'ai';
  return score >= balanced.score ? 'uncertain' : 'human';
}

function scoreFeatures(d: Detector, f: TextFeatures, text: string, from?: number, to?: number, window?: number): number {
  const pooled = (layer: number) => (window === undefined ? f.embeddings.get(layer)! : f.windowEmbeddings.get(layer)![window]!);
  const series = f.series ?? { logprob: [], expected: [], variance: [] };
  return headScore(d, featureVector(d.features, { pooled, series, from, to, text }));
}

export function warningsFor(n: Normalized): DetectWarning[] {
  if (changedCount(n) === 0) return [];
  const c = n.changes;
  const parts = [
    c.invisible && `${c.invisible} invisible character${c.invisible > 1 ? 's' : ''} removed`,
    c.homoglyphs && `${c.homoglyphs} look-alike letter${c.homoglyphs > 1 ? 's' : ''} replaced`,
    c.spaces && `${c.spaces} unusual space${c.spaces > 1 ? 's' : ''} replaced`,
    c.fullwidth && `${c.fullwidth} full-width character${c.fullwidth > 1 ? 's' : ''} replaced`,
  ].filter(Boolean);
  return [{ code: 'normalized_evasion', message: `the text was normalised before scoring: ${parts.join(', ')}` }];
}

/** Scores prepared, normalised texts with one detector; the model runs once per text (plus sentences). */
export async function detectTexts(
  service: InferenceService,
  model: LoadedModel,
  detector: Detector,
  language: LanguageIdentifier | null,
  items: Array<{ normalized: Normalized }>,
  opts: DetectOptions,
): Promise<DetectResult[]> {
  const spec = detector.features;
  const featureOpts = { layers: spec.layers, pooling: 'mean' as const, normalize: false, logprob: spec.logprob_stats.length > 0, perToken: false };
  const texts = items.map((i) => i.normalized.text);
  const sentenceSets = opts.sentences ? texts.map((t) => sentenceSpans(t)) : texts.map(() => []);
  const sentenceTexts = sentenceSets.flatMap((spans, k) => spans.map((s) => texts[k]!.slice(s.start, s.end)));
  // One admission for the whole request: texts and their sentences together.
  const all = await service.features(model, [...texts, ...sentenceTexts], featureOpts);
  const feats = all.slice(0, texts.length);
  let sentenceCursor = texts.length;

  const toProb = (s: number) => probability(detector, s);
  return items.map((item, k) => {
    const f = feats[k]!;
    const text = texts[k]!;
    const warnings = warningsFor(item.normalized);
    const score = scoreFeatures(detector, f, text);
    let label = decide(detector, score, opts.profile);

    if (f.tokens < detector.min_tokens) {
      warnings.push({ code: 'too_short', message: `the text has ${f.tokens} tokens; at least ${detector.min_tokens} are needed for a reliable answer` });
      label = 'uncertain';
    }
    if (language) {
      const guess = language.identify(text);
      if (guess.language !== 'en' && guess.confidence >= LANGUAGE_CONFIDENCE) {
        warnings.push({ code: 'unsupported_language', message: `the text looks like '${guess.language}' (confidence ${guess.confidence.toFixed(2)}); this detector was trained on English` });
        label = 'uncertain';
      }
    }
    const windows = f.windows.map((w, i) => {
      const s = f.windows.length === 1 ? score : scoreFeatures(detector, f, text.slice(w.char_start, w.char_end), w.token_start, w.token_end, i);
      return { ...w, score: s, probability: toProb(s) };
    });
    if (f.windows.length > 1) {
      warnings.push({ code: 'long_text_windows', message: `the text was read in ${f.windows.length} overlapping windows of at most ${model.pack.manifest.max_sequence_length} tokens; the verdict combines them` });
    }
    const result: DetectResult = {
      label,
      probability: toProb(score),
      score,
      profile: opts.profile,
      threshold: detector.thresholds[opts.profile].score,
      fpr: detector.thresholds[opts.profile].fpr,
      detector: { name: detector.name, version: detector.version, model: detector.pack.name },
      tokens: f.tokens,
      windows,
      warnings,
    };
    if (opts.sentences) {
      result.sentences = sentenceSets[k]!.map((span): ScoredSpan => {
        const sf = all[sentenceCursor++]!;
        const s = scoreFeatures(detector, sf, text.slice(span.start, span.end));
        return { char_start: span.start, char_end: span.end, score: s, probability: toProb(s) };
      });
    }
    if (changedCount(item.normalized) > 0) result.normalized_text = text;
    return result;
  });
}

export { PROFILE_FPR };
