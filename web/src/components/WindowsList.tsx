import type { DetectResult } from '@detector/contract';
import { band, percent } from '../format.ts';

/** Long texts are read in overlapping windows; each window's own probability. */
export function WindowsList({ windows }: { windows: DetectResult['windows'] }) {
  return (
    <section className="windows" aria-labelledby="windows-heading">
      <h3 id="windows-heading">Parts of a long text</h3>
      <p className="muted">The text was longer than the model reads at once, so it was scored in {windows.length} overlapping parts and the scores combined.</p>
      <ol>
        {windows.map((w, i) => (
          <li key={`${w.char_start}-${w.char_end}`}>
            <span className="window-label">
              Part {i + 1}{' '}
              <span className="muted">
                (characters {w.char_start.toLocaleString()}–{w.char_end.toLocaleString()})
              </span>
            </span>
            <span className={`window-bar band-${band(w.probability)}`} style={{ width: `max(2.5rem, ${percent(w.probability)})` }}>
              {percent(w.probability)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
