import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError, hasLegacySelector, type LegacySelector } from '@detector/contract';
import { resolveLayer } from './features/pooling.ts';
import { detectorSchema, type Detector } from '@detector/detector-kit/schema.ts';
import { withPackedPoints } from '@detector/detector-kit/local-calibration.ts';

export class DetectorLoadError extends Error {
  override name = 'DetectorLoadError';
}

export interface DetectorSelector extends LegacySelector {
  detector?: string;
}

/** The detectors the service can apply, loaded once at start-up from JSON files. */
export class DetectorRegistry {
  private readonly byName = new Map<string, Detector>();
  /**
   * @param packLayers layers in each loaded pack's outputs, so that a legacy `layer` counts from
   * the end when negative, as everywhere else in the API.
   */
  constructor(
    readonly defaultName: string,
    private readonly packLayers: Map<string, number> = new Map(),
  ) {}

  static async load(dir: string, defaultName: string, packShas: Map<string, string>, packLayers?: Map<string, number>): Promise<DetectorRegistry> {
    const reg = new DetectorRegistry(defaultName, packLayers);
    let files: string[];
    try {
      files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    } catch {
      throw new DetectorLoadError(`detectors folder ${dir} cannot be read`);
    }
    for (const f of files) {
      const raw = JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'));
      const parsed = detectorSchema.safeParse(raw);
      if (!parsed.success) throw new DetectorLoadError(`${f}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const d = parsed.data;
      const sha = packShas.get(d.pack.name);
      // A detector trained on other weights would score garbage; refuse it rather than serve it.
      if (sha === undefined) continue;
      if (sha !== d.pack.sha256) throw new DetectorLoadError(`${f}: trained on ${d.pack.name} with sha256 ${d.pack.sha256}, but the loaded pack has ${sha}`);
      reg.byName.set(d.name, d.local_calibration ? { ...d, local_calibration: withPackedPoints(d.local_calibration) } : d);
    }
    if (!reg.byName.has(defaultName))
      throw new DetectorLoadError(`default detector '${defaultName}' is not among ${[...reg.byName.keys()].join(', ') || 'none'} in ${dir}`);
    return reg;
  }

  static fromDetectors(detectors: Detector[], defaultName: string, packLayers?: Map<string, number>): DetectorRegistry {
    const reg = new DetectorRegistry(defaultName, packLayers);
    for (const d of detectors) reg.byName.set(d.name, d);
    return reg;
  }

  list(): Detector[] {
    return [...this.byName.values()];
  }

  /** By name, else by the original design's fields, else the default. */
  select(sel: DetectorSelector): Detector {
    if (sel.detector !== undefined) {
      const d = this.byName.get(sel.detector);
      if (!d) throw new ApiError('unknown_detector', `unknown detector '${sel.detector}'; available: ${[...this.byName.keys()].join(', ')}`);
      return d;
    }
    if (!hasLegacySelector(sel)) return this.byName.get(this.defaultName)!;
    // Layers are compared as indexes into the detector's pack: -1 and num_layers are the same layer.
    const layerIn = (d: Detector, layer: number) => {
      const n = this.packLayers.get(d.pack.name);
      return n === undefined ? layer : resolveLayer(layer, n);
    };
    const fitsOtherFields = (a: Detector['aliases'][number]) =>
      (sel.model_name === undefined || a.model_name === sel.model_name) && (sel.classifier_type === undefined || a.classifier_type === sel.classifier_type);
    const matches = this.list().filter((d) =>
      d.aliases.some(
        (a) =>
          fitsOtherFields(a) &&
          (sel.layer === undefined || (a.layer !== undefined && layerIn(d, sel.layer) !== null && layerIn(d, a.layer) === layerIn(d, sel.layer))),
      ),
    );
    // A loose selector (say, model_name alone) fits several detectors; the default is the one we vouch for.
    const match = matches.find((d) => d.name === this.defaultName) ?? matches[0];
    if (!match && sel.layer !== undefined) {
      const candidates = this.list().filter((d) => d.aliases.some(fitsOtherFields));
      if (candidates.length > 0 && candidates.every((d) => layerIn(d, sel.layer!) === null)) {
        const n = this.packLayers.get(candidates[0]!.pack.name);
        const range = n === undefined ? '' : `; this model has layers 0..${n - 1} (or -${n}..-1)`;
        throw new ApiError('unknown_layer', `layer ${sel.layer} does not exist${range}`, { details: { layer: sel.layer } });
      }
    }
    if (!match) {
      const known = this.list().flatMap((d) => d.aliases.map((a) => `${a.model_name ?? '*'}/${a.layer ?? '*'}/${a.classifier_type ?? '*'}`));
      throw new ApiError(
        'unknown_detector',
        `no detector for model_name=${sel.model_name ?? '*'} layer=${sel.layer ?? '*'} classifier_type=${sel.classifier_type ?? '*'}; known: ${known.join(', ')}`,
      );
    }
    return match;
  }
}
