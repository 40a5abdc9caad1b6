import type { DetectResult } from '@detector/contract';
import { fprWords, missWords, percent, VERDICT } from '../format.ts';
import { HighlightedText } from './HighlightedText.tsx';
import { WindowsList } from './WindowsList.tsx';

const WARNING_TITLE: Record<string, string> = {
  too_short: 'Too short to judge',
  unsupported_language: 'Not English',
  normalized_evasion: 'Hidden characters removed',
  long_text_windows: 'Long text read in parts',
  out_of_distribution: 'Unlike the writing this detector was calibrated on',
  between_thresholds: 'Between the two thresholds',
  max_fpr_unattainable: 'Rate not reachable',
};

/** The label and the probability point different ways; say why rather than leave it looking wrong. */
const disagrees = (d: DetectResult) => (d.label === 'ai' && d.probability < 0.5) || (d.label === 'human' && d.probability >= 0.5);

// Warnings after which the detector gives no verdict at all.
const ABSTAIN = new Set(['too_short', 'unsupported_language', 'out_of_distribution']);

export function ResultPanel({ detection, text }: { detection: DetectResult; text: string }) {
  const abstained = detection.label === 'uncertain' && detection.warnings.some((w) => ABSTAIN.has(w.code));
  const verdict = VERDICT[detection.label];
  // "Uncertain" without an abstention means the score fell between the level where the detector
  // says human and the one where it flags: it cannot tell, and says so.
  const detail =
    detection.label === 'uncertain' && !abstained
      ? 'The score is too high to call the text human-written and too low to flag it at this setting: the detector cannot tell.'
      : verdict.detail;
  const scored = detection.normalized_text ?? text;
  return (
    <div className="result" data-testid="result">
      <div className={`verdict verdict-${detection.label}`} data-testid="verdict">
        <p className="verdict-title">{verdict.title}</p>
        <p className="verdict-detail">{detail}</p>
      </div>

      <div className={`probability${abstained ? ' abstained' : ''}`}>
        <p>
          <span className="big" data-testid="probability">
            {percent(detection.probability)}
          </span>{' '}
          probability that a language model wrote this text
          {abstained && <span className="muted"> (not a verdict: the detector abstained)</span>}
        </p>
        <div
          className="meter"
          role="meter"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(detection.probability * 100)}
          aria-label="AI probability"
        >
          <div className="meter-fill" style={{ width: percent(detection.probability) }} />
        </div>
      </div>

      <p className="threshold" data-testid="threshold">
        <strong>
          {detection.max_fpr !== undefined ? `Your rate (${percent(detection.max_fpr)})` : detection.profile === 'strict' ? 'Strict' : 'Balanced'} setting:
        </strong>{' '}
        at this setting {fprWords(detection.fpr)}
        {detection.length_band ? ' of this length' : ''}
        {typeof detection.miss_rate === 'number' ? `, and ${missWords(detection.miss_rate)}` : ''}.{' '}
        <span className="muted">
          (Score {detection.score.toFixed(2)}: flagged from {detection.threshold.toFixed(2)}
          {typeof detection.human_threshold === 'number' ? `, called human below ${detection.human_threshold.toFixed(2)}` : ''}.)
        </span>
      </p>
      <p className="muted" data-testid="per-text-note">
        Each text gets its own thresholds, set by the human and machine writing most like it that the detector was calibrated on, so the same score can be
        flagged in one kind of writing and not in another.
      </p>

      {disagrees(detection) && (
        <p className="muted" data-testid="threshold-note">
          The verdict follows the threshold calibrated for this setting, not the 50% mark: a text is flagged when its score is above the threshold, whatever the
          probability reads.
        </p>
      )}

      {detection.warnings.length > 0 && (
        <ul className="warnings result-warnings" aria-label="Notes about this result">
          {detection.warnings.map((w) => (
            <li key={w.code + w.message} data-code={w.code}>
              <strong>{WARNING_TITLE[w.code] ?? 'Note'}:</strong> {w.message}
            </li>
          ))}
        </ul>
      )}

      <p className="detector muted" data-testid="detector">
        Detector <strong>{detection.detector.name}</strong> version {detection.detector.version}, on model {detection.detector.model};{' '}
        {detection.tokens.toLocaleString()} tokens read.
      </p>

      <HighlightedText text={scored} sentences={detection.sentences} />
      {detection.windows.length > 1 && <WindowsList windows={detection.windows} />}
    </div>
  );
}
