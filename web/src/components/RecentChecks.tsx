import { type PredictionRow, predictionRowKey } from '../api.ts';
import { percent, VERDICT } from '../format.ts';
import type { LocalCheck } from '../history.ts';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const labelOf = (l: string) => VERDICT[l as keyof typeof VERDICT]?.title ?? l;

export function RecentChecks({ usingKey, local, remote }: { usingKey: boolean; local: LocalCheck[]; remote: PredictionRow[] | null }) {
  return (
    <section className="panel recent" aria-labelledby="recent-heading">
      <h2 id="recent-heading">Recent checks</h2>
      {usingKey ? (
        remote === null ? (
          <p className="muted">Your account's recent checks could not be loaded.</p>
        ) : remote.length === 0 ? (
          <p className="muted">No checks on this account yet.</p>
        ) : (
          <table data-testid="recent-account">
            <caption className="visually-hidden">Your account's recent checks</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Verdict</th>
                <th scope="col">AI probability</th>
                <th scope="col">Length</th>
                <th scope="col">Detector</th>
              </tr>
            </thead>
            <tbody>
              {remote.map((r) => (
                <tr key={predictionRowKey(r)}>
                  <td>{when(r.created_at)}</td>
                  <td>{labelOf(r.label)}</td>
                  <td>{percent(r.probability)}</td>
                  <td>{r.text_length.toLocaleString()} chars</td>
                  <td>
                    {r.detector} {r.detector_version}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : local.length === 0 ? (
        <p className="muted">Checks you make appear here. They are kept in this browser only.</p>
      ) : (
        <table data-testid="recent-local">
          <caption className="visually-hidden">Checks made in this browser</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Text</th>
              <th scope="col">Verdict</th>
              <th scope="col">AI probability</th>
              <th scope="col">Setting</th>
            </tr>
          </thead>
          <tbody>
            {local.map((c) => (
              <tr key={c.at}>
                <td>{when(c.at)}</td>
                <td className="snippet">
                  {c.source ? <strong>{c.source}: </strong> : null}
                  {c.snippet}
                </td>
                <td>{labelOf(c.label)}</td>
                <td>{percent(c.probability)}</td>
                <td>{c.maxFpr !== undefined ? `rate ${Math.round(c.maxFpr * 1000) / 10}%` : c.profile}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
