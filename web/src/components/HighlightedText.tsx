import type { ScoredSpan } from '@detector/contract';
import { band, BANDS, percent, segments } from '../format.ts';

/** The text as scored, each sentence shaded by how machine-like it reads, with a legend. */
export function HighlightedText({ text, sentences }: { text: string; sentences?: ScoredSpan[] }) {
  const parts = segments(text, sentences);
  const scored = parts.filter((p) => p.probability !== undefined);
  const flagged = scored.filter((p) => p.probability! >= 0.6).length;
  return (
    <section className="highlight" aria-labelledby="sentences-heading">
      <h3 id="sentences-heading">Sentences that drove the score</h3>
      {scored.length > 0 && (
        <p className="muted">
          {flagged} of {scored.length} sentence{scored.length === 1 ? '' : 's'} read as AI-like or very AI-like.
        </p>
      )}
      <ol className="legend" aria-label="Colour legend">
        {BANDS.map((b, i) => (
          <li key={b.name}>
            <span className={`swatch band-${i}`} aria-hidden="true" />
            {b.name}
            <span className="muted"> ({i === 0 ? 'under 20%' : i === BANDS.length - 1 ? '80% and over' : `${i * 20}–${i * 20 + 20}%`})</span>
          </li>
        ))}
      </ol>
      <div className="scored-text" data-testid="scored-text">
        {parts.map((p, i) =>
          p.probability === undefined ? (
            <span key={i}>{p.text}</span>
          ) : (
            <mark
              key={i}
              className={`sentence band-${band(p.probability)}`}
              title={`AI probability ${percent(p.probability)}`}
              data-probability={p.probability.toFixed(3)}
            >
              {p.text}
              <span className="visually-hidden"> (AI probability {percent(p.probability)})</span>
            </mark>
          ),
        )}
      </div>
    </section>
  );
}
