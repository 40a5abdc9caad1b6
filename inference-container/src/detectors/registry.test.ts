import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_DETECTOR, BUNDLED_DETECTORS_DIR } from '../config.ts';
import { DetectorRegistry } from './registry.ts';
import { detectorSchema, type Detector } from './schema.ts';

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
