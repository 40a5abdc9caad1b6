import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractPeer, testGateway, type Peer, type TestGateway } from '../test-support.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';

describe('POST /analyze through the detection path', () => {
  let peer: Peer;
  let gw: TestGateway;
  const analyze = (body: unknown) =>
    gw.app.request('/analyze', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    peer = await contractPeer();
    gw = await testGateway({ INFERENCE_URLS: peer.url });
  });
  afterAll(() => peer.close());

  it('sends the original defaults to the detector the alias table names, then caches and logs like /v1/detect', async () => {
    const body = { text: TEXT, model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm', pooling: 'mean', dataset_name: 'hc3' };
    const first = await analyze(body);
    expect(first.status).toBe(200);
    const answer = await first.json<any>();
    expect(answer).toMatchObject({
      prediction: expect.any(Number),
      is_fake: answer.prediction === 1,
      cached: false,
      detector: { name: 'peer', version: '1.0.0' },
    });
    expect(answer.warnings.map((w: { code: string }) => w.code)).toEqual(['selector_alias', 'ignored_field', 'ignored_field']);
    const sent = JSON.parse(peer.requests.filter((r) => r.path === '/v1/detect').at(-1)!.body);
    expect(sent).toEqual({ text: TEXT, detector: 'tinylm-detector', profile: 'balanced', sentences: false });

    const second = await analyze(body);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect((await second.json<any>()).cached).toBe(true);

    await gw.settle();
    const history = await (await gw.app.request('/v1/predictions?limit=5', { headers: { authorization: `Bearer ${gw.keys.pro}` } })).json<any>();
    const rows = history.data.filter((r: { route: string }) => r.route === '/analyze');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // The log keeps what ran and what it said, not a stand-in name or a forced human/ai.
    expect(rows[0]).toMatchObject({ detector: 'peer', detector_version: '1.0.0', label: answer.label });
  });

  it('takes the key as the user name of Basic auth, as a client with a ~/.netrc entry sends it', async () => {
    const basic = (user: string) => ({ authorization: `Basic ${btoa(`${user}:`)}`, 'content-type': 'application/json' });
    const ok = await gw.app.request('/analyze', { method: 'POST', headers: basic(gw.keys.pro), body: JSON.stringify({ text: TEXT }) });
    expect(ok.status).toBe(200);
    const wrong = await gw.app.request('/analyze', {
      method: 'POST',
      headers: basic('dk_live_zzzzzzzzzz_abcdefghijklmnopqrstuvwxyzABCDEF'),
      body: JSON.stringify({ text: TEXT }),
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses what the original never sent', async () => {
    const res = await analyze({ text: TEXT, temperature: 0.7 });
    expect(res.status).toBe(400);
    expect((await res.json<any>()).error.code).toBe('invalid_request');
  });
});

describe('POST /v1/detect with the original selector', () => {
  let peer: Peer;
  let gw: TestGateway;
  const detect = (body: unknown) =>
    gw.app.request('/v1/detect', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    peer = await contractPeer();
    gw = await testGateway({ INFERENCE_URLS: peer.url });
  });
  afterAll(() => peer.close());

  it('resolves model_name/layer/classifier_type through the alias table, as /analyze does', async () => {
    const res = await detect({ text: TEXT, model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'lr' });
    expect(res.status).toBe(200);
    const { result } = await res.json<any>();
    expect(result.warnings.map((w: { code: string }) => w.code)).toEqual(['selector_alias']);
    const sent = JSON.parse(peer.requests.filter((r) => r.path === '/v1/detect').at(-1)!.body);
    expect(sent).toEqual({ text: TEXT, detector: 'tinylm-detector', profile: 'strict', sentences: false });

    const batch = await detect({ texts: [TEXT, `${TEXT} Again.`], classifier_type: 'svm' });
    const { results } = await batch.json<any>();
    expect(results.map((r: { warnings: Array<{ code: string }> }) => r.warnings.map((w) => w.code))).toEqual([['selector_alias'], ['selector_alias']]);
    expect(JSON.parse(peer.requests.at(-1)!.body).detector).toBe('tinylm-detector');
  });

  it('leaves a selector outside the table to the detectors, and an explicit detector wins', async () => {
    await detect({ text: TEXT, model_name: 'tinylm-en-v1' });
    expect(JSON.parse(peer.requests.at(-1)!.body)).toMatchObject({ model_name: 'tinylm-en-v1' });
    await detect({ text: `${TEXT} Once more.`, detector: 'other', model_name: 'Qwen/Qwen2.5-0.5B' });
    expect(JSON.parse(peer.requests.at(-1)!.body)).toMatchObject({ detector: 'other', model_name: 'Qwen/Qwen2.5-0.5B' });
  });
});
