#!/usr/bin/env python3
"""Fits the two polynomials of noisy ReLU's inverse normal (soma_inverse_normal in opencl/prelude.cl,
JavaKernels.inverseNormal): on the noise's grid u = (k + 1/2) 2^-23, x = 2u - 1 and
w = -log((1-x)(1+x)) evaluated in float exactly as the kernel does (soma_noise_log); then
Phi^-1(u) = x P(w - 2.5) where w < 5 and x Q(sqrt(w) - 3) elsewhere (Giles' erfinv variables, sqrt2
folded in). P and Q: degree 8, fitted to the relative error over every grid point (Lawson's iteratively
reweighted least squares towards minimax), rounded to float. Prints the coefficients and the maximum
relative error and ulp error of the whole float evaluation against scipy's ndtri.
Needs numpy and scipy. Run: python3 scripts/fit-noise.py  (about a minute)
"""
import numpy as np
from scipy.special import ndtri

f32 = np.float32


def fma(a, b, c):
    # float fma through double: a*b is exact in double; the one extra rounding is immaterial here
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(np.float32)


def noise_log(t):
    bits = t.view(np.int32)
    e = ((bits >> 23) & 0xff) - 127
    m = ((bits & 0x7fffff) | 0x3f800000).view(np.float32)
    big = m > f32(float.fromhex('0x1.6a09e6p0'))
    m = np.where(big, m * f32(0.5), m)
    e = np.where(big, e + 1, e)
    f = (m - f32(1)) / (m + f32(1))
    s = f * f
    p = np.full_like(s, float.fromhex('0x1.745d18p-4'))
    for c in ['0x1.c71c72p-4', '0x1.24924ap-3', '0x1.99999ap-3', '0x1.555556p-2']:
        p = fma(p, s, float.fromhex(c))
    f2 = f32(2) * f
    lm = fma(f2, s * p, f2)
    ef = e.astype(np.float32)
    return fma(ef, float.fromhex('0x1.62e4p-1'), fma(ef, float.fromhex('0x1.7f7d1cp-20'), lm))


def lawson(v, y, deg, iters=30):
    a = np.vander(v, deg + 1)
    wts = np.ones_like(v)
    for _ in range(iters):
        sw = np.sqrt(wts) / np.abs(y)
        c, *_ = np.linalg.lstsq(a * sw[:, None], y * sw, rcond=None)
        r = np.abs(a @ c - y) / np.abs(y)
        wts = wts * r
        wts /= wts.sum()
    return c


k = np.arange(2 ** 23, dtype=np.float64)
ud = (k + 0.5) * 2.0 ** -23
u = ud.astype(np.float32)
ref = ndtri(ud)
x = f32(2) * u - f32(1)
w = -noise_log((f32(1) - x) * (f32(1) + x))
cen = w < f32(5)
v = np.where(cen, w - f32(2.5), np.sqrt(w) - f32(3))
y = ref / x.astype(np.float64)
cp = [f32(c) for c in lawson(v[cen].astype(np.float64), y[cen], 8)]
cq = [f32(c) for c in lawson(v[~cen].astype(np.float64), y[~cen], 8)]
p = np.where(cen, cp[0], cq[0])
for a, b in zip(cp[1:], cq[1:]):
    p = fma(p, v, np.where(cen, a, b))
n = (p * x).astype(np.float64)
err = np.abs(n - ref)
ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
print('P (w < 5, in w - 2.5):      ', ', '.join(float(c).hex() for c in cp))
print('Q (w >= 5, in sqrt(w) - 3): ', ', '.join(float(c).hex() for c in cq))
print('max relative error %.3g, max %.2f ulp, |n| <= %.4f' % ((err / np.abs(ref)).max(), (err / ulp).max(), np.abs(n).max()))
