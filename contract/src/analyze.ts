import { z } from 'zod';
import { legacySelectorFields, type LegacySelector } from './detect.ts';
import type { DetectResult, DetectWarning, ServiceAnalyzeResponse } from './responses.ts';

/**
 * POST /analyze, the original design's request. Its client fills in `model_name`, `layer` and
 * `classifier_type` with the defaults below, and may send `pooling` and `dataset_name` too: those
 * two are accepted and ignored (with a warning) so that a ported client works unchanged.
 */
export const analyzeRequestSchema = z.strictObject({
  text: z.string(),
  ...legacySelectorFields,
  pooling: z.string().nullable().optional(),
  dataset_name: z.string().nullable().optional(),
});
export type AnalyzeRequest = z.infer<typeof analyzeRequestSchema>;

/** What the original design's client sends when it leaves a selector out. */
export const ORIGINAL_DEFAULTS = { model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm' } as const;

export interface OriginalAlias {
  model_name: string;
  /** In the original model's own numbering (Qwen2.5-0.5B: 0..24), compared as given. */
  layer: number;
  classifier_type: string;
  /** The shipped detector that answers for this combination. */
  detector: string;
  /** Why this detector stands in for that combination; shown to the caller as a warning. */
  note: string;
}

const QWEN_STAND_IN =
  'the Qwen/Qwen2.5-0.5B pack and its heads are not shipped; the bundled detector, trained on the same kind of features (pooled hidden states and log-probabilities), answers instead';

/**
 * The original design's selector combinations and the shipped detector that answers each. A
 * request to /analyze or /v1/detect is looked up here (missing fields taken as ORIGINAL_DEFAULTS) before the
 * detectors' own aliases are consulted, and the answer's `detector` names the one that ran.
 * To serve a real Qwen detector, ship its pack and detector file and point these rows at it.
 */
export const ORIGINAL_ALIASES: readonly OriginalAlias[] = [
  { model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm', detector: 'tinylm-detector', note: QWEN_STAND_IN },
  { model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'lr', detector: 'tinylm-detector', note: QWEN_STAND_IN },
  { model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'logistic_regression', detector: 'tinylm-detector', note: QWEN_STAND_IN },
];

/**
 * The alias row for a request, or null when the request names something else (then the
 * detectors' own `aliases` decide, as on /v1/detect). A request that names no selector at all
 * gets the service's default detector rather than a row.
 */
export function originalAlias(req: Pick<AnalyzeRequest, 'model_name' | 'layer' | 'classifier_type'>): OriginalAlias | null {
  if (req.model_name === undefined && req.layer === undefined && req.classifier_type === undefined) return null;
  const sel = {
    model_name: req.model_name ?? ORIGINAL_DEFAULTS.model_name,
    layer: req.layer ?? ORIGINAL_DEFAULTS.layer,
    classifier_type: req.classifier_type ?? ORIGINAL_DEFAULTS.classifier_type,
  };
  return ORIGINAL_ALIASES.find((a) => a.model_name === sel.model_name && a.layer === sel.layer && a.classifier_type === sel.classifier_type) ?? null;
}

/**
 * A detect request's selector after the alias table, so /v1/detect answers the original's
 * combinations as /analyze does: a row's detector replaces the legacy fields. A request that
 * names `detector` outright, or a selector with no row, comes back unchanged (the detectors' own
 * aliases decide).
 */
export function resolveOriginalSelector<T extends LegacySelector & { detector?: string | undefined }>(req: T): { request: T; alias: OriginalAlias | null } {
  if (req.detector !== undefined) return { request: req, alias: null };
  const alias = originalAlias(req);
  if (!alias) return { request: req, alias: null };
  const { model_name: _m, layer: _l, classifier_type: _c, ...rest } = req;
  return { request: { ...rest, detector: alias.detector } as T, alias };
}

/** Tells the caller which detector stood in for the selector it sent. */
export function selectorAliasWarning(alias: OriginalAlias): DetectWarning {
  return {
    code: 'selector_alias',
    message: `model_name=${alias.model_name} layer=${alias.layer} classifier_type=${alias.classifier_type} is answered by detector ${alias.detector}: ${alias.note}`,
  };
}

/** Warnings for what the original request carried that this service does not use. */
export function analyzeRequestWarnings(req: AnalyzeRequest, alias: OriginalAlias | null): DetectWarning[] {
  const out: DetectWarning[] = [];
  if (alias) out.push(selectorAliasWarning(alias));
  for (const field of ['pooling', 'dataset_name'] as const) {
    if (req[field] !== undefined)
      out.push({ code: 'ignored_field', message: `${field} is accepted for compatibility and ignored: the detector fixes its own features and training data` });
  }
  return out;
}

/** The original shape of a balanced-profile detection result. */
export function toAnalyzeResponse(r: DetectResult, extraWarnings: DetectWarning[] = []): ServiceAnalyzeResponse {
  const isFake = r.label === 'ai';
  const confidence = r.label === 'ai' ? r.probability : r.label === 'human' ? 1 - r.probability : 0;
  return {
    prediction: isFake ? 1 : 0,
    probability: r.probability,
    is_fake: isFake,
    label: r.label,
    confidence,
    detector: r.detector,
    warnings: [...extraWarnings, ...r.warnings],
  };
}
