#!/usr/bin/env python3
"""Fits the polynomial of the Java GELU (dev.soma.cpu.JavaKernels.phiHalf, mirrored at precision exact by
soma_gelu_q in opencl/prelude.cl) and prints its coefficients with the fit's error. Needs mpmath; about
half a minute. Run: python3 scripts/fit-gelu.py

  Phi(-a) = erfc(a/sqrt2)/2 = t Q(t) e^(-a^2/2) for a = |x| in [0, A], t = 6/(6 + a), A = sqrt(220)
  (a^2/2 <= 110, the exponential's clamp: beyond, every float result is 0 or 1, or x). Q is smooth in
  t on [6/(6+A), 1] (Q(0) = 1/(sqrt2 sqrt(pi)) ... the asymptotic series in 1/a^2), of degree 17 in
  s = t - 0.64, the Chebyshev interpolant at 18 nodes, its monomial coefficients rounded to double.
  Printed: the coefficients (highest first, as the fma Horner uses them) and the relative error of
  t Q(t) against erfc(a/sqrt2) e^(a^2/2) / 2 (the double coefficients evaluated exactly, and by
  double fma Horner with t as the code rounds it).
"""
from fractions import Fraction
import mpmath as mp
mp.mp.dps = 50
DEG = 17
C = mp.mpf('0.64')
A = mp.sqrt(220)
LO = 6 / (6 + A)

def target(t):
    """Q(t) = Phi(-a) e^(a^2/2) / t with a = 6(1 - t)/t"""
    a = 6 * (1 - t) / t
    return mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2) / 2 / t

def fit():
    n = DEG + 1
    nodes = [LO + (1 - LO) * (1 + mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n)) / 2 for k in range(n)]
    # interpolate in s = t - C: solve the Vandermonde system at the Chebyshev nodes (mpmath, 50 digits)
    M = mp.matrix([[(x - C) ** j for j in range(n)] for x in nodes])
    rhs = mp.matrix([target(x) for x in nodes])
    return [float(c) for c in mp.lu_solve(M, rhs)]

def fma(a, b, c):
    return float(Fraction(a) * Fraction(b) + Fraction(c))

def horner(coef, s):
    p = coef[-1]
    for c in reversed(coef[:-1]):
        p = fma(p, s, c)
    return p

def main():
    coef = fit()
    worst_exact = worst_double = mp.mpf(0)
    for i in range(2001):
        a = float(A) * i / 2000
        t = 6.0 / (6.0 + a)                       # as the code: one + and one /, rounded
        ref = mp.erfc(mp.mpf(a) / mp.sqrt(2)) * mp.exp(mp.mpf(a) ** 2 / 2) / 2
        ex = mp.mpf(t) * sum(mp.mpf(c) * (mp.mpf(t) - C) ** j for j, c in enumerate(coef))
        db = t * horner(coef, t - 0.64)
        worst_exact = max(worst_exact, abs(ex / ref - 1))
        worst_double = max(worst_double, abs(mp.mpf(db) / ref - 1))
    print("degree %d in s = t - 0.64, t in [%.6f, 1]" % (DEG, float(LO)))
    for c in reversed(coef):
        print("    %s," % float.hex(c))
    print("max relative error of t Q(t): coefficients exact %.3g, fma Horner in double %.3g"
          % (worst_exact, worst_double))

main()
