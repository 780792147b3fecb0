#!/usr/bin/env python3
"""Fits the coefficients of erf, erf', gelu and gelu' at precision fast (opencl/prelude.cl, the erf part,
and opencl/activations.cl), and prints them with the fit's maximum error (float coefficients,
evaluated exactly). Needs mpmath and numpy; about a minute. Run: python3 scripts/fit-erf.py

  e^r, |r| <= ln2/2        1 + r S(r) (degree 7, gelu), degree 6 (erf), degree 5 (erf', gelu');
                           relative error; erf' carries 2/sqrt(pi) 2^-24 in its degree-5 polynomial
  erf x, |x| < 0.6         x + x Q(x^2), Q of degree 4, relative error
  erfc a, a in [0.6, 4]    e^(-a^2) P(a)/Q(a), degrees 2/3, absolute error (erf = 1 - erfc)
  gelu: Phi(-a)            e^(-a^2/2) t R(t), t = 1/(1 + q a), q = 0.265, R of degree 9 in t - 1/2,
                           relative error; plus the linear fit of (M - a)(1/q + a) in t (M = phi/Phi(-a),
                           the first-order correction of t's rounding)
  gelu': W = (a - a0) G    G = P(a)/Q(a), degrees 4/4, relative error; W(a) = Phi(-a)/e^(-a^2/2) - a/sqrt(2 pi)
The numerators of the gelu'/erfc fits are printed scaled by 2^-24, as the kernels use them.
"""
import mpmath as mp, numpy as np
mp.mp.dps = 30
def f32(v): return float(np.float32(float(v)))
def hexf(v): return float.hex(float(v)).replace('0000000p', 'p').replace('000000p', 'p').replace('00000p', 'p') + 'f'
def grid_on(a, b, n):
    k = np.arange(n); return (a+b)/2 - (b-a)/2*np.cos(np.pi*k/(n-1))

def wremez(grid, fv, sc, deg, fixed_hi=()):
    """min over p of max |p - f|/sc on the grid (Remez exchange), the top coefficients fixed"""
    nf = len(fixed_hi); d = deg - nf
    res = fv - sum(c*grid**(deg-i) for i, c in enumerate(fixed_hi))
    n = d + 2; a, b = grid.min(), grid.max(); mid, half = (a+b)/2, (b-a)/2
    V = lambda x: np.polynomial.chebyshev.chebvander((x-mid)/half, d)
    Vg = V(grid); ng = len(grid)
    idx = np.unique(np.round((ng-1)*(1 - np.cos(np.pi*np.arange(n)/(n-1)))/2).astype(int))
    best = None
    for it in range(80):
        x = grid[idx]; M = np.zeros((n, n)); M[:, :d+1] = V(x); M[:, d+1] = (-1.0)**np.arange(n)*sc[idx]
        c = np.linalg.solve(M, res[idx])[:d+1]
        err = (Vg@c - res)/sc; m = np.abs(err).max()
        if best is None or m < best[0]: best = (m, c)
        sgn = np.sign(err); runs = []; s0 = 0
        for i in range(1, ng+1):
            if i == ng or sgn[i] != sgn[s0]:
                seg = np.arange(s0, i); runs.append(seg[np.argmax(np.abs(err[seg]))]); s0 = i
        runs = np.array(runs)
        if len(runs) < n: break
        while len(runs) > n:
            runs = runs[1:] if abs(err[runs[0]]) < abs(err[runs[-1]]) else runs[:-1]
        idx = runs
    m, c = best
    P = np.polynomial.Polynomial(np.polynomial.chebyshev.cheb2poly(c))
    low = P(np.polynomial.Polynomial([-mid/half, 1/half])).coef
    low = np.concatenate([low, np.zeros(d+1-len(low))])
    return m, list(low) + list(fixed_hi[::-1])

def fit_float(grid, fv, sc, deg, scale=1.0):
    """float coefficients (times scale), low to high: rounded from the top, the rest refitted each time"""
    fixed = []
    for k in range(deg+1):
        m, c = wremez(grid, fv, sc, deg, tuple(fixed))
        fixed.append(f32(c[deg-k]*scale)/scale)
    err = (sum(c*grid**i for i, c in enumerate(fixed[::-1])) - fv)/sc
    return np.abs(err).max(), [f32(c*scale) for c in fixed[::-1]]

def ratfit(g, fv, sc, n, m, fixed, iters=60):
    """P/Q (q0 = 1) minimising max |P/Q - f|/sc by reweighted linearised least squares; fixed: index -> value"""
    hi = g.max(); s = g/hi; nv = n+1+m
    scal = np.array([hi**i for i in range(n+1)] + [hi**i for i in range(1, m+1)])
    Q = np.ones_like(s); w = np.ones_like(s); best = None
    Vp = np.vander(s, n+1, increasing=True); Vq = np.vander(s, m+1, increasing=True)[:, 1:]
    M = np.hstack([Vp, -fv[:, None]*Vq]); free = [i for i in range(nv) if i not in fixed]
    for it in range(iters):
        rhs = fv.copy()
        for i, v in fixed.items(): rhs -= M[:, i]*v*scal[i]
        W = np.sqrt(w)/(sc*np.abs(Q))
        c, *_ = np.linalg.lstsq(M[:, free]*W[:, None], rhs*W, rcond=None)
        full = np.zeros(nv); full[free] = c
        for i, v in fixed.items(): full[i] = v*scal[i]
        p = full[:n+1]; qq = np.concatenate([[1], full[n+1:]])
        Q = np.vander(s, m+1, increasing=True)@qq; P = Vp@p
        err = (P/Q - fv)/sc; e = np.abs(err).max()
        if best is None or e < best[0]: best = (e, full/scal)
        w = w*np.abs(err)**0.5 + 1e-300; w /= w.sum()
    return best

def ratfit_float(g, fv, sc, n, m):
    fixed = {}
    e, c = ratfit(g, fv, sc, n, m, fixed)
    order = []
    for k in range(max(n, m), -1, -1):
        if k <= n: order.append(k)
        if 1 <= k <= m: order.append(n+k)
    for i in order:
        fixed[i] = f32(c[i])
        if len(fixed) < n+1+m: e, c = ratfit(g, fv, sc, n, m, fixed)
    cf = np.array([fixed[i] for i in range(n+1+m)])
    P = cf[:n+1]; Qc = np.concatenate([[1.0], cf[n+1:]])
    ev = lambda c, x: sum(ci*x**i for i, ci in enumerate(c))
    return np.abs((ev(P, g)/ev(Qc, g) - fv)/sc).max(), P, Qc

SQ2 = mp.sqrt(2); C = 1/mp.sqrt(2*mp.pi)
A0 = -mp.findroot(lambda x: mp.ncdf(x) + x*mp.npdf(x), -0.75)
def A(ax): return mp.erfc(ax/SQ2)/2*mp.exp(ax*ax/2)   # Phi(-a) e^(a^2/2)
def show(name, err, coeffs, unit=''):
    print(f"{name}: max error {err:.3g}{unit}\n   low to high: " + ", ".join(hexf(v) for v in coeffs))

print(f"ln2 = {hexf(f32(mp.log(2)))} + {hexf(f32(mp.log(2) - f32(mp.log(2))))}; a0 = {hexf(f32(A0))} + {hexf(f32(A0 - f32(A0)))}")
h = 0.3466*1.0005
g = grid_on(-h, h, 3000); g = g[np.abs(g) > 1e-9]
fq = np.array([float(mp.expm1(v)/v) for v in g]); sc = np.exp(g)/np.abs(g)
for deg in (7, 6, 5):
    m, c = fit_float(g, fq, sc, deg-1)
    show(f"e^r = 1 + r S(r), degree {deg}", m, [1.0] + c, ' relative')
    if deg == 5:
        K = 2/mp.sqrt(mp.pi)*mp.mpf(2)**-24
        show("erf': (2/sqrt(pi)) 2^-24 e^r", m, [f32(K*v) for v in [1.0] + c], ' relative (before scaling)')
smax = 0.6*0.6*1.001
g = grid_on(0, smax, 3000); g[0] = 1e-30
fv = np.array([float(mp.erf(mp.sqrt(s))/mp.sqrt(s) - 1) for s in g])
m, c = fit_float(g, fv, fv + 1, 4)
show("erf, |x| < 0.6: Q(x^2) with erf x = x + x Q", m, c, ' relative')
k = np.arange(3000); N = len(k) - 1
g = (4+0.6)/2 - (4-0.6)/2*np.cos(np.pi*k/N)
fv = np.array([float(mp.erfc(mp.mpf(x))*mp.exp(mp.mpf(x)**2)) for x in g]); sc = np.array([float(mp.exp(x*x)) for x in g])
e, P, Q = ratfit_float(g, fv, sc, 2, 3)
show("erfc a = e^(-a^2) P/Q, a in [0.6, 4]: P (times 2^-24)", e, [v*2**-24 for v in P], ' absolute')
show("   Q", e, Q)
q = f32(0.265); tmin = 1/(1+q*13.24)
g = grid_on(tmin, 1.0, 1500); fv = np.array([float(A((1/mp.mpf(t)-1)/q)/t) for t in g])
m, c = fit_float(g - 0.5, fv, fv, 9)
print(f"gelu: q = {hexf(q)}, 1/q = {hexf(f32(1/q))}")
show("gelu: R(t) in t - 1/2", m, c, ' relative')
ts = np.linspace(tmin, 1, 400)
kap = np.array([float((mp.npdf(a)/mp.ncdf(-a) - a)*(1/q + a)) for a in [(1/mp.mpf(t) - 1)/q for t in ts]])
kc = np.polyfit(ts, kap, 1)
show("gelu: (M - a)(1/q + a) ~ k0 + k1 t", np.abs(np.polyval(kc, ts)/kap - 1).max(), [f32(kc[1]), f32(kc[0])], ' relative')
g = 13.4/2 - 13.4/2*np.cos(np.pi*k/N)
fv = np.array([float((A(mp.mpf(x)) - C*x)/(x - A0)) if abs(x - A0) > 1e-9 else float(mp.diff(lambda y: A(y) - C*y, A0)) for x in g])
e, P, Q = ratfit_float(g, fv, np.abs(fv), 4, 4)
show("gelu': G = P/Q (P times 2^-24)", e, [v*2**-24 for v in P], ' relative')
show("   Q", e, Q)
print(f"1/sqrt(2 pi) 2^-24 = {hexf(f32(C*mp.mpf(2)**-24))}")
