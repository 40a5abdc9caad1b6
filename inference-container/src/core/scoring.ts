import type { DetectResult, DetectWarning, Profile, ScoredSpan } from '@detector/contract';
import type { ExtractOptions, TextFeatures } from './features/text-features.ts';
import { changedCount, type Normalized } from './normalize.ts';
import { featureVector } from '@detector/detector-kit/feature-vector.ts';
import { decideText, type TextDecision } from '@detector/detector-kit/decision.ts';
import { headScore } from '@detector/detector-kit/head-score.ts';
import { layoutFree, spanInSource } from '@detector/detector-kit/layout.ts';
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
  maxFpr?: number;
}

/** Below this confidence the language identifier's "not English" is not trusted enough to abstain. */
const LANGUAGE_CONFIDENCE = 0.5;

/** The calibration statistics of a text, raw, in the order the detector's local calibration names them. */
function calibrationStats(d: Detector, f: TextFeatures, text: string): Float64Array {
  const cal = d.local_calibration;
  if (!cal) return new Float64Array(0);
  const series = f.series ?? { logprob: [], expected: [], variance: [] };
  return featureVector({ layers: [], pooling: 'mean', ...cal.stats }, { pooled: (l) => f.embeddings.get(l)!, series, text });
}

function uncertainWarning(d: TextDecision): DetectWarning | null {
  if (d.reason === 'between_thresholds')
    return {
      code: 'between_thresholds',
      message:
        'the score is above the level at which human text is said and below the level at which machine text is flagged at this setting: the detector cannot tell',
    };
  if (d.reason === 'out_of_distribution')
    return {
      code: 'out_of_distribution',
      message: 'the text is unlike the writing this detector was calibrated on, so its false-positive rate cannot be vouched for here',
    };
  return null;
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

/**
 * Scores prepared, normalised texts with one detector; the model runs once per text (plus sentences).
 * The model reads each text's layout-free form (layout.ts); windows and sentences are reported in
 * the offsets of the text as given (after normalisation).
 */
export async function detectTexts(
  source: FeatureSource,
  detector: Detector,
  language: LanguageIdentifier | null,
  items: Array<{ normalized: Normalized }>,
  opts: DetectOptions,
): Promise<DetectResult[]> {
  const spec = detector.features;
  const featureOpts = { layers: spec.layers, pooling: 'mean' as const, normalize: false, logprob: spec.logprob_stats.length > 0, perToken: false };
  const forms = items.map((i) => layoutFree(i.normalized.text));
  const texts = forms.map((l) => l.text);
  const feats = await source.features(texts, featureOpts);

  return items.map((item, k) => {
    const f = feats[k]!;
    const text = texts[k]!;
    const form = forms[k]!;
    const warnings = warningsFor(item.normalized);
    const score = scoreFeatures(detector, f, text);
    const decision = decideText(
      detector,
      { score, stats: calibrationStats(detector, f, text), tokens: f.tokens },
      { profile: opts.profile, maxFpr: opts.maxFpr },
    );
    let label = decision.label;
    const why = uncertainWarning(decision);
    if (why) warnings.push(why);
    if (decision.reason === 'too_short')
      warnings.push({ code: 'too_short', message: `the text has ${f.tokens} tokens; at least ${detector.min_tokens} are needed for a reliable answer` });
    if (!decision.maxFprMet && opts.maxFpr !== undefined)
      warnings.push({
        code: 'max_fpr_unattainable',
        message: `no measured level of this detector flags as few as ${opts.maxFpr} of human texts; its strictest measured level (${decision.fpr}) is used`,
      });
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
    const toProb = decision.toProbability;
    const inSource = (start: number, end: number) => {
      const s = spanInSource(form, start, end);
      return { char_start: s.start, char_end: s.end };
    };
    const windows = f.windows.map((w, i) => {
      const s = f.windows.length === 1 ? score : scoreFeatures(detector, f, text.slice(w.char_start, w.char_end), w.token_start, w.token_end, i);
      return { ...w, ...inSource(w.char_start, w.char_end), score: s, probability: toProb(s) };
    });
    if (f.windows.length > 1) {
      warnings.push({
        code: 'long_text_windows',
        message: `the text was read in ${f.windows.length} overlapping windows of at most ${source.maxSequenceLength} tokens; the verdict combines them`,
      });
    }
    const result: DetectResult = {
      label,
      // A verdict overridden after the decision (language) keeps a probability away from both ends.
      probability: label === decision.label ? decision.probability : Math.min(0.8, Math.max(0.2, toProb(score))),
      score,
      profile: opts.profile,
      threshold: decision.threshold,
      human_threshold: decision.humanThreshold,
      fpr: decision.fpr,
      miss_rate: decision.missRate,
      ...(opts.maxFpr !== undefined ? { max_fpr: opts.maxFpr } : {}),
      length_band: decision.band,
      detector: { name: detector.name, version: detector.version, model: detector.pack.name },
      tokens: f.tokens,
      windows,
      warnings,
    };
    if (opts.sentences) {
      const spans = sentenceSpans(text);
      const shares = sentenceShares(detector, f, text, spans, score);
      result.sentences = spans.map((span, i): ScoredSpan => ({ ...inSource(span.start, span.end), score: shares[i]!, probability: toProb(shares[i]!) }));
    }
    if (changedCount(item.normalized) > 0) result.normalized_text = item.normalized.text;
    return result;
  });
}
