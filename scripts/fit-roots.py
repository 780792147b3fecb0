#!/usr/bin/env python3
"""Fits the polynomials that opencl/activations.cl evaluates next to the roots of gelu_tanh', silu'
and mish' at precision fast (float): there the derivative's terms cancel and a float evaluation
loses every bit, so the kernels use f'(x0 + d) = d P(d), d = x - x0 computed from x0 = hi + lo.

For each function: the root x0 (mpmath, 50 digits) as two floats, the band |d| < delta and the
coefficients of P (degree 8, 4 for silu'; least squares on Chebyshev nodes, weighted to relative error, rounded
to float), with the maximum relative error of P over the band. Needs mpmath and numpy.
Run: python3 scripts/fit-roots.py
"""
import mpmath as mp, numpy as np, struct
mp.mp.dps = 50
def f32(x): return struct.unpack('f', struct.pack('f', float(x)))[0]
K = mp.mpf(0.044715)  # the double the reference uses
C = mp.sqrt(2/mp.pi)
def gelu_tanh_d(x):
    u = C*(x + K*x**3); t = mp.tanh(u)
    return 0.5*(1+t) + 0.5*x*(1-t*t)*C*(1+3*K*x*x)
def silu_d(z):
    s = 1/(1+mp.e**(-z)); return s*(1 + z*(1-s))
def mish_d(x):
    sp = mp.log(1+mp.e**x); T = mp.tanh(sp); s = 1/(1+mp.e**(-x))
    return T + x*s*(1-T*T)
def fit(name, fn, guess, delta, deg):
    x0 = mp.findroot(fn, guess)
    hi = f32(x0); lo = f32(x0 - hi)
    # P(d) = fn(x0 + d)/d, d measured from x0
    N = 400
    ds = [delta*mp.cos(mp.pi*(k+0.5)/N) for k in range(N)]
    ys = [fn(x0+d)/d for d in ds]
    A = np.array([[float(d)**j for j in range(deg+1)] for d in ds])
    w = np.array([1/float(y) for y in ys])
    c, *_ = np.linalg.lstsq(A*w[:,None], np.array([float(y) for y in ys])*w, rcond=None)
    cf = [f32(v) for v in c]
    # max relative error of P with float coefficients (double evaluation), plus the residual
    worst = 0
    for k in range(2001):
        d = mp.mpf(-delta + 2*delta*k/2000)
        if d == 0: continue
        p = 0.0
        for v in reversed(cf): p = p*float(d) + v
        worst = max(worst, abs((p - fn(x0+d)/d)/(fn(x0+d)/d)))
    print(f"{name}: x0={mp.nstr(x0,20)} hi={float.hex(hi)} lo={float.hex(lo)} delta={delta} deg={deg} maxrel={float(worst):.3g} ({float(worst)*2**24:.2f} ulp)")
    print("   coef: " + ", ".join(float.hex(v).replace('0000000p','p').replace('000000p','p') + 'f' for v in cf))
    return x0
# the bands and degrees the kernels use (a wider band for mish', whose float formula loses more; silu''s
# float formula (1 + z) + t is good enough beyond 0.125 for degree 4; gelu' needs none: its kernel
# carries the root as a factor, see scripts/fit-erf.py)
for name, fn, guess, delta, deg in [("gelu_tanh'", gelu_tanh_d, -0.75, 0.25, 8),
                                    ("silu'", silu_d, -1.28, 0.125, 4), ("mish'", mish_d, -1.19, 0.5, 8)]:
    fit(name, fn, guess, delta, deg)
