import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_DETECTOR, BUNDLED_DETECTORS_DIR } from '../config.ts';
import { DetectorRegistry } from './detector-catalogue.ts';
import { detectorSchema, type Detector } from '@detector/detector-kit/schema.ts';

const bundled = async (): Promise<Detector> =>
  detectorSchema.parse(JSON.parse(await fs.readFile(path.join(BUNDLED_DETECTORS_DIR, `${BUNDLED_DETECTOR}.json`), 'utf8')));

describe('DetectorRegistry.select', () => {
  // Names sort the other detector first, so a registry that took the first match would pick it.
  const registry = async () => {
    const main = await bundled();
    const other: Detector = { ...main, name: `${main.name}-a`, aliases: [{ model_name: 'tinylm-en-v1', classifier_type: 'other_head' }] };
    const def: Detector = { ...main, aliases: [{ model_name: 'tinylm-en-v1', classifier_type: 'default_head' }] };
    return DetectorRegistry.fromDetectors([other, def], main.name);
  };

  it('prefers the default when the original design fields fit several detectors', async () => {
    const reg = await registry();
    expect(reg.select({ model_name: 'tinylm-en-v1' }).name).toBe(BUNDLED_DETECTOR);
  });

  it('follows classifier_type to the detector that has it', async () => {
    const reg = await registry();
    expect(reg.select({ model_name: 'tinylm-en-v1', classifier_type: 'other_head' }).name).toBe(`${BUNDLED_DETECTOR}-a`);
    expect(reg.select({ classifier_type: 'default_head' }).name).toBe(BUNDLED_DETECTOR);
  });

  it('answers unknown_detector when nothing fits', async () => {
    const reg = await registry();
    expect(() => reg.select({ classifier_type: 'svm' })).toThrow(expect.objectContaining({ code: 'unknown_detector' }));
    expect(() => reg.select({ detector: 'nope' })).toThrow(expect.objectContaining({ code: 'unknown_detector' }));
  });
});

describe('legacy layer selectors', () => {
  // The bundled detectors answer to layer 8, the last of the pack's nine (0 = embeddings).
  const registry = async () => DetectorRegistry.fromDetectors([await bundled()], BUNDLED_DETECTOR, new Map([['tinylm-en-v1', 9]]));

  it('counts negative layers from the end, as the README documents', async () => {
    const reg = await registry();
    expect(reg.select({ model_name: 'tinylm-en-v1', layer: 8, classifier_type: 'logistic_regression' }).name).toBe(BUNDLED_DETECTOR);
    expect(reg.select({ model_name: 'tinylm-en-v1', layer: -1, classifier_type: 'logistic_regression' }).name).toBe(BUNDLED_DETECTOR);
    expect(reg.select({ layer: -1 }).name).toBe(BUNDLED_DETECTOR);
  });

  it('answers unknown_layer for a layer the model does not have, unknown_detector for one no detector reads', async () => {
    const reg = await registry();
    for (const layer of [9, -10, 100])
      expect(() => reg.select({ model_name: 'tinylm-en-v1', layer })).toThrow(expect.objectContaining({ code: 'unknown_layer' }));
    expect(() => reg.select({ model_name: 'tinylm-en-v1', layer: -2 })).toThrow(expect.objectContaining({ code: 'unknown_detector' }));
    expect(() => reg.select({ model_name: 'other-model', layer: -1 })).toThrow(expect.objectContaining({ code: 'unknown_detector' }));
  });
});
