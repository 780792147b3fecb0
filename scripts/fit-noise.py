#!/usr/bin/env python3
"""Fits the two polynomials of noisy ReLU's Box-Muller noise (soma_noise_pair in opencl/prelude.cl,
JavaKernels.noisePair): on the angle grid g = (k + 1/2) 2^-21, k = 0 ... 2^21 - 1 (every value g
takes), sin(g pi/4) = g A(g^2) and cos(g pi/4) = 1 + g^2 B(g^2), A of degree 4 and B of degree 4,
fitted to the relative error (Lawson's iteratively reweighted least squares towards minimax) and
rounded to float. Then evaluates everything in float exactly as the kernel does and prints the
coefficients and the maximum errors of sin, cos, the radius sqrt(-2 log u) on its whole grid
u = (k + 1/2) 2^-23, and their products, against double precision.
Needs numpy. Run: python3 scripts/fit-noise.py  (about half a minute)
"""
import numpy as np

f32 = np.float32


def fma(a, b, c):
    # float fma through double: a*b is exact in double; the double rounding of the sum is immaterial here
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


def lawson(v, y, deg, iters=40):
    a = np.vander(v, deg + 1)
    wts = np.ones_like(v)
    for _ in range(iters):
        sw = np.sqrt(wts) / np.abs(y)
        c, *_ = np.linalg.lstsq(a * sw[:, None], y * sw, rcond=None)
        r = np.abs(a @ c - y) / np.abs(y)
        wts = wts * r
        wts /= wts.sum()
    return c


def ulps(got, ref):
    return np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)


k = np.arange(2 ** 21, dtype=np.float64)
gd = (k + 0.5) * 2.0 ** -21
g = gd.astype(np.float32)  # exact: 22 significant bits
g2d = gd * gd
sin_ref = np.sin(gd * np.pi / 4)
cos_ref = np.cos(gd * np.pi / 4)
# fit in the double g^2; the float evaluation below uses the float g*g, as the kernel does
ca = [f32(c) for c in lawson(g2d, sin_ref / gd, 4)]
# cos - 1 = -2 sin^2(x/2), without the cancellation of cos_ref - 1 near 0
cb = [f32(c) for c in lawson(g2d, -2 * np.sin(gd * np.pi / 8) ** 2 / g2d, 4)]
g2 = g * g
a = np.full_like(g, ca[0])
for c in ca[1:]:
    a = fma(a, g2, c)
s = g * a
b = np.full_like(g, cb[0])
for c in cb[1:]:
    b = fma(b, g2, c)
c = fma(g2, b, f32(1))
print('A (sin(g pi/4) = g A(g^2)):       ', ', '.join(float(v).hex() for v in ca))
print('B (cos(g pi/4) = 1 + g^2 B(g^2)): ', ', '.join(float(v).hex() for v in cb))
es = np.abs(s - sin_ref) / sin_ref
ec = np.abs(c - cos_ref) / cos_ref
print('sin: max relative error %.3g (%.2f ulp); cos: %.3g (%.2f ulp)'
      % (es.max(), ulps(s, sin_ref).max(), ec.max(), ulps(c, cos_ref).max()))

ku = np.arange(2 ** 23, dtype=np.float64)
ud = (ku + 0.5) * 2.0 ** -23
u = ud.astype(np.float32)
r = np.sqrt(f32(-2) * noise_log(u))
r_ref = np.sqrt(-2 * np.log(ud))
er = np.abs(r - r_ref) / r_ref
print('radius: max relative error %.3g (%.2f ulp), r in [%.4g, %.4f]'
      % (er.max(), ulps(r, r_ref).max(), r.min(), r.max()))
print('product r*sin or r*cos: relative error below %.3g (sum of the two plus one rounding 2^-24)'
      % (er.max() + max(es.max(), ec.max()) + 2.0 ** -24))
