import type { DetectResult, DetectWarning, Label, Profile, ScoredSpan } from '@detector/contract';
import type { ExtractOptions, TextFeatures } from './features/text-features.ts';
import { changedCount, type Normalized } from './normalize.ts';
import { featureVector } from '@detector/detector-kit/feature-vector.ts';
import { thresholdsFor } from '@detector/detector-kit/local-calibration.ts';
import { headScore, probability } from '@detector/detector-kit/head-score.ts';
import type { LanguageIdentifier } from './language.ts';
import type { Detector } from '@detector/detector-kit/schema.ts';
import { sentenceSpans } from '@detector/detector-kit/text-stats.ts';

/** The model's features for a batch of texts, from one loaded model pack. */
export interface FeatureSource {
  features(texts: string[], opts: Omit<ExtractOptions, 'overlap'>): Promise<TextFeatures[]>;
  /** The pack's window length in tokens, named in the long-text warning. */
  maxSequenceLength: number;
}

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
export function decide(t: { strict: number; balanced: number }, score: number, profile: Profile): Label {
  if (profile === 'balanced') return score >= t.balanced ? 'ai' : 'human';
  if (score >= t.strict) return 'ai';
  return score >= t.balanced ? 'uncertain' : 'human';
}

function scoreFeatures(d: Detector, f: TextFeatures, text: string, from?: number, to?: number, window?: number): number {
  const pooled = (layer: number) => (window === undefined ? f.embeddings.get(layer)! : f.windowEmbeddings.get(layer)![window]!);
  const series = f.series ?? { logprob: [], expected: [], variance: [] };
  return headScore(d, featureVector(d.features, { pooled, series, from, to, text }));
}

/** The token series with the tokens in [from, to) left out. */
function withoutTokens(series: NonNullable<TextFeatures['series']>, from: number, to: number): NonNullable<TextFeatures['series']> {
  const cut = (a: Float64Array) => {
    const out = new Float64Array(a.length - (to - from));
    out.set(a.subarray(0, from), 0);
    out.set(a.subarray(to), from);
    return out;
  };
  return { logprob: cut(series.logprob), expected: cut(series.expected), variance: cut(series.variance) };
}

/**
 * Each sentence's share of the whole text's score: how much the score drops when the sentence is
 * left out, scaled as a jackknife pseudo-value and centred so that the sentences' values average
 * exactly to the text's own score. The highlights then explain the verdict instead of
 * contradicting it. A sentence scored on its own is mostly under the detector's minimum length and
 * reads as noise; left out of its text, its tokens keep the log-probabilities the model gave them
 * in context. The pooled hidden states stay those of the whole text (the model is not run again):
 * what moves a sentence's value is its tokens' log-probabilities and its words and punctuation.
 */
export function sentenceShares(d: Detector, f: TextFeatures, text: string, spans: Array<{ start: number; end: number }>, textScore: number): number[] {
  const n = spans.length;
  if (n < 2) return spans.map(() => textScore);
  const starts = f.encoded.starts,
    ends = f.encoded.ends;
  const pooled = (layer: number) => f.embeddings.get(layer)!;
  const without = spans.map((span) => {
    let from = 0;
    while (from < starts.length && ends[from]! <= span.start) from++;
    let to = from;
    while (to < starts.length && starts[to]! < span.end) to++;
    const rest = text.slice(0, span.start) + text.slice(span.end);
    const series = f.series ? withoutTokens(f.series, from, to) : { logprob: [], expected: [], variance: [] };
    return headScore(d, featureVector(d.features, { pooled, series, text: rest }));
  });
  const meanWithout = without.reduce((a, b) => a + b, 0) / n;
  return without.map((w) => textScore + (n - 1) * (meanWithout - w));
}

export function warningsFor(n: Normalized): DetectWarning[] {
  if (changedCount(n) === 0) return [];
  const c = n.changes;
  const parts = [
    c.invisible && `${c.invisible} invisible character${c.invisible > 1 ? 's' : ''} removed`,
    c.homoglyphs && `${c.homoglyphs} look-alike letter${c.homoglyphs > 1 ? 's' : ''} replaced`,
    c.spaces && `${c.spaces} unusual space${c.spaces > 1 ? 's' : ''} replaced`,
    c.fullwidth && `${c.fullwidth} full-width character${c.fullwidth > 1 ? 's' : ''} replaced`,
    c.encoding && `${c.encoding} Windows-1252 character${c.encoding > 1 ? 's' : ''} decoded as control codes repaired`,
  ].filter(Boolean);
  return [{ code: 'normalized_evasion', message: `the text was normalised before scoring: ${parts.join(', ')}` }];
}

/** Scores prepared, normalised texts with one detector; the model runs once per text (plus sentences). */
export async function detectTexts(
  source: FeatureSource,
  detector: Detector,
  language: LanguageIdentifier | null,
  items: Array<{ normalized: Normalized }>,
  opts: DetectOptions,
): Promise<DetectResult[]> {
  const spec = detector.features;
  const featureOpts = { layers: spec.layers, pooling: 'mean' as const, normalize: false, logprob: spec.logprob_stats.length > 0, perToken: false };
  const texts = items.map((i) => i.normalized.text);
  const feats = await source.features(texts, featureOpts);

  const toProb = (s: number) => probability(detector, s);
  return items.map((item, k) => {
    const f = feats[k]!;
    const text = texts[k]!;
    const warnings = warningsFor(item.normalized);
    const score = scoreFeatures(detector, f, text);
    const t = thresholdsFor(detector, { pooled: (l) => f.embeddings.get(l)!, series: f.series ?? { logprob: [], expected: [], variance: [] }, text });
    let label = decide(t, score, opts.profile);
    if (t.outOfDistribution) {
      warnings.push({
        code: 'out_of_distribution',
        message: 'the text is unlike the writing this detector was calibrated on, so its false-positive rate cannot be vouched for here',
      });
      label = 'uncertain';
    }

    if (f.tokens < detector.min_tokens) {
      warnings.push({ code: 'too_short', message: `the text has ${f.tokens} tokens; at least ${detector.min_tokens} are needed for a reliable answer` });
      label = 'uncertain';
    }
    if (language) {
      const guess = language.identify(text);
      if (guess.language !== 'en' && guess.confidence >= LANGUAGE_CONFIDENCE) {
        warnings.push({
          code: 'unsupported_language',
          message: `the text looks like '${guess.language}' (confidence ${guess.confidence.toFixed(2)}); this detector was trained on English`,
        });
        label = 'uncertain';
      }
    }
    const windows = f.windows.map((w, i) => {
      const s = f.windows.length === 1 ? score : scoreFeatures(detector, f, text.slice(w.char_start, w.char_end), w.token_start, w.token_end, i);
      return { ...w, score: s, probability: toProb(s) };
    });
    if (f.windows.length > 1) {
      warnings.push({
        code: 'long_text_windows',
        message: `the text was read in ${f.windows.length} overlapping windows of at most ${source.maxSequenceLength} tokens; the verdict combines them`,
      });
    }
    const result: DetectResult = {
      label,
      probability: toProb(score),
      score,
      profile: opts.profile,
      threshold: t[opts.profile],
      fpr: detector.thresholds[opts.profile].fpr,
      detector: { name: detector.name, version: detector.version, model: detector.pack.name },
      tokens: f.tokens,
      windows,
      warnings,
    };
    if (opts.sentences) {
      const spans = sentenceSpans(text);
      const shares = sentenceShares(detector, f, text, spans, score);
      result.sentences = spans.map(
        (span, i): ScoredSpan => ({ char_start: span.start, char_end: span.end, score: shares[i]!, probability: toProb(shares[i]!) }),
      );
    }
    if (changedCount(item.normalized) > 0) result.normalized_text = text;
    return result;
  });
}
