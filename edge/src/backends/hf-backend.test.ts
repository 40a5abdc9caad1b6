import { describe, expect, it } from 'vitest';
import { buildHfRequest, hfDetect, hfModelOf, mapHfResult, parseHfResponse, type HfOptions } from './hf-backend.ts';

const opts: HfOptions = {
  apiUrl: 'https://router.huggingface.co/hf-inference/models/',
  token: 'hf_test_token',
  models: ['openai-community/roberta-base-openai-detector'],
  aiLabels: ['Fake', 'LABEL_1'],
  threshold: 0.5,
};
const MODEL = 'openai-community/roberta-base-openai-detector';

describe('Hugging Face Inference API backend', () => {
  it('selects hosted models with the hf: prefix only', () => {
    expect(hfModelOf(`hf:${MODEL}`)).toBe(MODEL);
    expect(hfModelOf('tinylm-detector')).toBeNull();
    expect(hfModelOf(undefined)).toBeNull();
  });

  it('builds an authenticated POST to the model URL', async () => {
    const req = buildHfRequest(opts, MODEL, ['one text']);
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`https://router.huggingface.co/hf-inference/models/${MODEL}`);
    expect(req.headers.get('authorization')).toBe('Bearer hf_test_token');
    expect(await req.json()).toEqual({ inputs: 'one text', options: { wait_for_model: true } });
    expect(await buildHfRequest(opts, MODEL, ['a', 'b']).json()).toMatchObject({ inputs: ['a', 'b'] });
  });

  it('refuses models that are not enabled', () => {
    expect(() => buildHfRequest(opts, 'someone/else', ['x'])).toThrow(/not enabled/);
  });

  it('reads both the single and the batched answer shapes', () => {
    const one = [
      { label: 'Real', score: 0.2 },
      { label: 'Fake', score: 0.8 },
    ];
    expect(parseHfResponse(one, 1)).toEqual([one]);
    expect(parseHfResponse([one, one], 2)).toHaveLength(2);
    expect(() => parseHfResponse({ error: 'loading' }, 1)).toThrow(/unexpected shape/);
    expect(() => parseHfResponse([one], 2)).toThrow(/unexpected shape/);
  });

  it('maps label scores to a result with the AI probability and an honest uncalibrated warning', () => {
    const r = mapHfResult(
      opts,
      MODEL,
      [
        { label: 'Real', score: 0.3 },
        { label: 'Fake', score: 0.7 },
      ],
      'balanced',
    );
    expect(r).toMatchObject({ label: 'ai', probability: 0.7, threshold: 0.5, profile: 'balanced', detector: { name: `hf:${MODEL}`, version: 'hosted' } });
    expect(Number.isNaN(r.fpr)).toBe(true);
    expect(r.warnings[0]!.code).toBe('uncalibrated');
    expect(
      mapHfResult(
        opts,
        MODEL,
        [
          { label: 'LABEL_0', score: 0.9 },
          { label: 'LABEL_1', score: 0.1 },
        ],
        'strict',
      ).label,
    ).toBe('human');
  });

  it('turns an unreachable or failing API into 503', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(hfDetect(opts, MODEL, ['x'], 'strict', refused, 1000)).rejects.toMatchObject({ code: 'backend_unavailable' });
    const limited = (async () => new Response('{}', { status: 429 })) as typeof fetch;
    await expect(hfDetect(opts, MODEL, ['x'], 'strict', limited, 1000)).rejects.toMatchObject({ code: 'backend_unavailable', retryAfter: 30 });
  });
});
