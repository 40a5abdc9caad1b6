import sys, time, json
import numpy as np
sys.path.insert(0, 'training/analysis')
from loso_lab import *

meta, X, series, cols = load('sources')
units = np.array([m['unit'] for m in meta]); y = np.array([m['y'] for m in meta]); tokens = np.array([m['tokens'] for m in meta])
stats_names = cols['stats']; L, Hd = cols['layers'], cols['hidden']
S_all = X[:, L * Hd:].astype(np.float64)
keep = [i for i, n in enumerate(stats_names) if n != 'newline_rate']
S = S_all[:, keep]
print(X.shape, len(set(units)), 'units', file=sys.stderr)
LEVELS = [0.9, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995, 0.999]

def run(name, F, C, levels=LEVELS, ls='0.99', lb='0.95', hq=0.05, wfn=weights):
    t = time.time()
    sc = loso_scores(F, y, units, C, wfn)
    ev = local_eval(S, sc, y, units, tokens, levels, human_q=hq)
    print(f'== {name} C={C} ({time.time()-t:.0f}s)')
    for lvs in [(0.999, 0.95), (0.99, 0.95), (0.985, 0.9), (0.98, 0.9)]:
        print(f' levels {lvs}:', end=' ')
        summarize(ev, sc, y, units, lvs[0], lvs[1], quiet=True)
    return sc, ev

if __name__ == '__main__':
    which = sys.argv[1:]
    if 'stats' in which: run('stats only', S, 0.1)
    if 'l8' in which: run('stats + layer 8', np.hstack([S, X[:, 8 * Hd:9 * Hd]]), 0.05)
    if 'all' in which: run('all layers', np.hstack([S, X[:, :L * Hd]]), 0.01)

def detail(sc, ev, ls, lb):
    summarize(ev, sc, y, units, ls, lb, quiet=False)
