#!/usr/bin/env python3
"""Fits soma_log1pu's polynomial (opencl/prelude.cl, precision fast): log1p(x) = 2 atanh f, f = x/(2+x)
in [0, 1/3] for x in [0, 1], s = f^2 in [0, 1/9]; atanh f = f + f s g(s) with g of degree 4, fitted to
g's minimax absolute error (Lawson's reweighted least squares on 4001 points, mpmath reference), rounded
to float. g's error enters the result relatively as s * err <= err/9. Needs mpmath and numpy.
Run: python3 scripts/fit-log1p.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 30
S = np.linspace(0, 1 / 9, 4001)


def g(s):
    if s == 0:
        return 1 / 3
    f = mp.sqrt(mp.mpf(s))
    return float((mp.atanh(f) / f - 1) / s)


G = np.array([g(x) for x in S])
A = np.vander(S, 5)
w = np.ones_like(S)
for _ in range(30):
    sw = np.sqrt(w)
    c, *_ = np.linalg.lstsq(A * sw[:, None], G * sw, rcond=None)
    r = np.abs(A @ c - G)
    w = w * r
    w /= w.sum()
cf = [np.float32(x) for x in c]
err = np.abs(np.polyval(np.array(cf, dtype=np.float64), S) - G)
print('g (highest degree first):', ', '.join(float(x).hex() for x in cf))
print('max |g error| %.3g, relative contribution to atanh f <= %.3g' % (err.max(), (err * S).max()))
