import { describe, expect, it } from 'vitest';
import { analyzeRequestSchema, analyzeRequestWarnings, analyzeResponseSchema, originalAlias, ORIGINAL_DEFAULTS, toAnalyzeResponse } from './analyze.ts';
import type { DetectResult } from './detect.ts';

const result = (label: DetectResult['label'], probability: number, warnings: DetectResult['warnings'] = []): DetectResult => ({
  label,
  probability,
  score: 0,
  profile: 'balanced',
  threshold: 0,
  fpr: 0.05,
  detector: { name: 'tinylm-detector', version: '2026-11-27.1', model: 'tinylm-en-v1' },
  tokens: 100,
  windows: [],
  warnings,
});

describe('/analyze in the original shape', () => {
  it('answers 1/true for a machine verdict and 0/false for a human one, with the verdict’s confidence', () => {
    expect(toAnalyzeResponse(result('ai', 0.9))).toMatchObject({ prediction: 1, is_fake: true, label: 'ai', confidence: 0.9 });
    const human = toAnalyzeResponse(result('human', 0.2));
    expect(human).toMatchObject({ prediction: 0, is_fake: false, label: 'human' });
    expect(human.confidence).toBeCloseTo(0.8, 12);
  });

  it('never turns an abstention into a confident human verdict', () => {
    const r = toAnalyzeResponse(result('uncertain', 0.986, [{ code: 'too_short', message: 'short' }]));
    expect(r).toMatchObject({ prediction: 0, is_fake: false, label: 'uncertain', confidence: 0, probability: 0.986 });
    expect(r.warnings.map((w) => w.code)).toEqual(['too_short']);
    expect(analyzeResponseSchema.safeParse(r).success).toBe(true);
  });

  it('maps the original defaults, svm and lr to a shipped detector, filling in what the request left out', () => {
    expect(originalAlias(ORIGINAL_DEFAULTS)?.detector).toBe('tinylm-detector');
    expect(originalAlias({ classifier_type: 'lr' })?.detector).toBe('tinylm-detector');
    expect(originalAlias({ model_name: 'Qwen/Qwen2.5-0.5B', layer: 22 })?.classifier_type).toBe('svm');
    // Not the original's: left to the detectors' own aliases.
    expect(originalAlias({ model_name: 'tinylm-en-v1', classifier_type: 'logistic_regression' })).toBeNull();
    expect(originalAlias({})).toBeNull();
  });

  it('accepts the original pooling and dataset_name and warns that they are ignored', () => {
    const req = analyzeRequestSchema.parse({ text: 'x', ...ORIGINAL_DEFAULTS, pooling: 'mean', dataset_name: 'hc3' });
    const codes = analyzeRequestWarnings(req, originalAlias(req)).map((w) => w.code);
    expect(codes).toEqual(['selector_alias', 'ignored_field', 'ignored_field']);
    expect(analyzeRequestSchema.safeParse({ text: 'x', temperature: 1 }).success).toBe(false);
  });
});
