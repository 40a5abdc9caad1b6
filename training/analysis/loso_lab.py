"""Exploratory leave-one-source-out runs on exported rows (training/scripts/export-rows.ts).

Not the shipped pipeline: a fast numpy/sklearn mirror of it, for choosing levers before the
TypeScript recipe (training/src/source-validation.ts) is changed and re-measured.
"""
import json, sys, math
import numpy as np
from sklearn.linear_model import LogisticRegression

ROWS = '.cache/rows'

def load(name):
    meta = [json.loads(l) for l in open(f'{ROWS}/{name}.meta.jsonl')]
    cols = json.load(open(f'{ROWS}/{name}.columns.json'))
    d = cols['layers'] * cols['hidden'] + len(cols['stats'])
    X = np.fromfile(f'{ROWS}/{name}.x.f32', dtype=np.float32).reshape(len(meta), d)
    series = np.fromfile(f'{ROWS}/{name}.series.f32', dtype=np.float32)
    return meta, X, series, cols

NON_NATIVE = {'abstract_checker', 'learners_ellipse', 'learners_fce', 'learners_write_improve'}

def weights(units, y, v1w=4.0, extra=None):
    cells = {}
    per_label = [set(), set()]
    for u, l in zip(units, y):
        cells[(l, u)] = cells.get((l, u), 0) + 1
        per_label[l].add(u)
    w = np.array([1.0 / (len(per_label[l]) * cells[(l, u)]) * (v1w if u.startswith('v1_') else 1.0) * (extra(u, l) if extra else 1.0) for u, l in zip(units, y)])
    return w * len(w) / w.sum()

def fit(X, y, w, C):
    mu = X.mean(0); sd = X.std(0); sd[sd == 0] = 1
    m = LogisticRegression(C=C, max_iter=400)
    m.fit((X - mu) / sd, y, sample_weight=w)
    return lambda Z: m.decision_function((Z - mu) / sd)

def loso_scores(X, y, units, C, wfn=weights):
    s = np.zeros(len(y))
    for u in sorted(set(units)):
        tr = units != u
        f = fit(X[tr], y[tr], wfn(units[tr], y[tr]), C)
        s[~tr] = f(X[~tr])
    return s

def conformal_index(m, q):
    return min(m - 1, max(0, math.ceil((m + 1) * q) - 1))

def local_eval(S, scores, y, units, tokens, levels, k=600, min_tokens=50, ood_q=0.98, kd=10, human_q=None, km=300, max_refs=10000):
    """Per left-out unit: thresholds from the k nearest human references (other units)."""
    out = {}
    for u in sorted(set(units)):
        pool = np.where((units != u) & (tokens >= min_tokens))[0]
        mu = S[pool].mean(0); sd = S[pool].std(0); sd[sd == 0] = 1
        Z = (S - mu) / sd
        refs = pool[y[pool] == 0]
        if len(refs) > max_refs: refs = refs[np.linspace(0, len(refs) - 1, max_refs).astype(int)]
        mach = pool[y[pool] == 1]
        if len(mach) > 4000: mach = mach[np.linspace(0, len(mach) - 1, 4000).astype(int)]
        rs = scores[refs]; ms = scores[mach]
        idx = np.where(units == u)[0]
        R = Z[refs]; M = Z[mach]
        # familiar-distance limit from a sample of references
        probe = np.concatenate([R[np.linspace(0, len(R) - 1, 1500).astype(int)], M[np.linspace(0, len(M) - 1, 500).astype(int)]])
        def knn_mean(Q, exclude_self):
            d = np.concatenate([((Q[:, None, :] - R[None]) ** 2).sum(-1), ((Q[:, None, :] - M[None]) ** 2).sum(-1)], 1)
            d.sort(1)
            kk = kd + 1 if exclude_self else kd
            return np.sqrt(d[:, :kk]).sum(1) / kd
        own = np.sort(np.concatenate([knn_mean(probe[i:i + 200], True) for i in range(0, len(probe), 200)]))
        maxd = own[conformal_index(len(own), ood_q)]
        res = {'idx': idx, 'thr': {}, 'hthr': None}
        Q = Z[idx]
        thr = {lv: np.zeros(len(idx)) for lv in levels}
        hthr = np.zeros(len(idx)) if human_q is not None else None
        dist = np.zeros(len(idx))
        for a in range(0, len(idx), 200):
            q = Q[a:a + 200]
            dh = ((q[:, None, :] - R[None]) ** 2).sum(-1)
            dm = ((q[:, None, :] - M[None]) ** 2).sum(-1)
            kk = min(k, len(refs))
            nn = np.argpartition(dh, kk - 1, 1)[:, :kk]
            near = np.sort(rs[nn], 1)
            for lv in levels:
                thr[lv][a:a + 200] = near[:, conformal_index(kk, lv)] + 1e-9
            if human_q is not None:
                nm = np.argpartition(dm, km - 1, 1)[:, :km]
                nearm = np.sort(ms[nm], 1)
                hthr[a:a + 200] = nearm[:, int(math.floor(human_q * km))]
            both = np.sort(np.concatenate([dh, dm], 1), 1)[:, :kd]
            dist[a:a + 200] = np.sqrt(both).sum(1) / kd
        res['thr'] = thr; res['hthr'] = hthr
        res['answered'] = (dist <= maxd) & (tokens[idx] >= min_tokens)
        out[u] = res
    return out

def summarize(ev, scores, y, units, level_s, level_b, quiet=False):
    rows = []
    for u, r in ev.items():
        idx = r['idx']; a = r['answered']; yy = y[idx]; sc = scores[idx]
        h = a & (yy == 0); m = a & (yy == 1)
        fs = (sc >= r['thr'][level_s])
        fb = (sc >= r['thr'][level_b])
        row = dict(unit=u, n_h=int((yy == 0).sum()), n_m=int((yy == 1).sum()), answered=a.mean(),
                   sfpr=fs[h].mean() if h.sum() else None, bfpr=fb[h].mean() if h.sum() else None,
                   stpr=fs[m].mean() if m.sum() else None, btpr=fb[m].mean() if m.sum() else None)
        if r['hthr'] is not None:
            ht = np.minimum(r['hthr'], r['thr'][level_b])
            hum = sc < ht
            row['miss'] = hum[m].mean() if m.sum() else None
            row['human_said'] = hum[h].mean() if h.sum() else None
        if (yy == 0).any() and (yy == 1).any():
            from sklearn.metrics import roc_auc_score
            row['auroc'] = roc_auc_score(yy, sc)
        rows.append(row)
    H = [r for r in rows if r['sfpr'] is not None]
    Mr = [r for r in rows if r['stpr'] is not None]
    nn_h = sum(((y[ev[u]['idx']] == 0) & ev[u]['answered']).sum() for u in ev if u in NON_NATIVE)
    nn_fp = sum((((y[ev[u]['idx']] == 0) & ev[u]['answered']) & (scores[ev[u]['idx']] >= ev[u]['thr'][level_s])).sum() for u in ev if u in NON_NATIVE)
    nn_fpb = sum((((y[ev[u]['idx']] == 0) & ev[u]['answered']) & (scores[ev[u]['idx']] >= ev[u]['thr'][level_b])).sum() for u in ev if u in NON_NATIVE)
    summ = dict(
        strict_within2=f"{sum(r['sfpr'] <= 0.02 for r in H)}/{len(H)}",
        bal_within10=f"{sum(r['bfpr'] <= 0.10 for r in H)}/{len(H)}",
        mean_sfpr=np.mean([r['sfpr'] for r in H]), mean_bfpr=np.mean([r['bfpr'] for r in H]),
        mean_stpr=np.mean([r['stpr'] for r in Mr]), mean_btpr=np.mean([r['btpr'] for r in Mr]),
        nn_sfpr=nn_fp / max(1, nn_h), nn_bfpr=nn_fpb / max(1, nn_h),
        answered=np.mean([r['answered'] for r in rows]),
        mean_auroc=np.mean([r['auroc'] for r in rows if 'auroc' in r]),
    )
    if rows and 'miss' in rows[0]:
        summ['mean_miss'] = np.mean([r['miss'] for r in Mr])
        summ['mean_human_said'] = np.mean([r['human_said'] for r in H])
    if not quiet:
        for r in rows:
            print('  ' + ' '.join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    print(' '.join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in summ.items()))
    return rows, summ
