import type { RocPoint } from './roc-stats.ts';

/** A self-contained SVG of ROC curves with a log-scaled FPR axis, where low-FPR behaviour shows. */
export function rocSvg(curves: Array<{ name: string; points: RocPoint[] }>, marks: Array<{ name: string; fpr: number; tpr: number }>): string {
  const W = 640,
    H = 480,
    L = 60,
    R = 20,
    T = 30,
    B = 50;
  const minF = 1e-3;
  const x = (f: number) => L + ((Math.log10(Math.max(f, minF)) - Math.log10(minF)) / -Math.log10(minF)) * (W - L - R);
  const y = (t: number) => H - B - t * (H - T - B);
  const colors = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bf8700', '#57606a'];
  const grid = [1e-3, 1e-2, 5e-2, 1e-1, 1].map(
    (f) =>
      `<line x1="${x(f)}" y1="${T}" x2="${x(f)}" y2="${H - B}" stroke="#ddd"/><text x="${x(f)}" y="${H - B + 18}" font-size="12" text-anchor="middle">${f * 100}%</text>`,
  );
  const ygrid = [0, 0.25, 0.5, 0.75, 1].map(
    (t) =>
      `<line x1="${L}" y1="${y(t)}" x2="${W - R}" y2="${y(t)}" stroke="#ddd"/><text x="${L - 8}" y="${y(t) + 4}" font-size="12" text-anchor="end">${t}</text>`,
  );
  const paths = curves.map((c, i) => {
    const d = c.points.map((p, k) => `${k ? 'L' : 'M'}${x(p.fpr).toFixed(1)},${y(p.tpr).toFixed(1)}`).join('');
    return `<path d="${d}" fill="none" stroke="${colors[i % colors.length]}" stroke-width="2"/><text x="${W - R - 8}" y="${H - B - 12 - 16 * i}" font-size="12" text-anchor="end" fill="${colors[i % colors.length]}">${escapeXml(c.name)}</text>`;
  });
  const dots = marks.map(
    (m) =>
      `<circle cx="${x(m.fpr)}" cy="${y(m.tpr)}" r="4" fill="#000"/><text x="${x(m.fpr) + 6}" y="${y(m.tpr) + 14}" font-size="11">${escapeXml(m.name)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${grid.join('')}${ygrid.join('')}${paths.join('')}${dots.join('')}<text x="${(W + L) / 2}" y="${H - 12}" font-size="13" text-anchor="middle">false-positive rate (log scale)</text><text x="16" y="${(H - B + T) / 2}" font-size="13" transform="rotate(-90 16 ${(H - B + T) / 2})" text-anchor="middle">true-positive rate</text></svg>\n`;
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
