"""Brent's root finder with the same steps as R's ``uniroot`` (private).

metafor finds the Paule-Mandel estimate and the Q-profile confidence limits with ``uniroot`` at
a loose tolerance (``.Machine$double.eps^0.25``, about 1.2e-4). Any other root finder stops at a
different point inside that tolerance, so to reproduce metafor's printed numbers we take the
same steps: Brent's (1973) algorithm, which R implements, with R's stopping rule
``2 * eps * |b| + tol / 2``.

References
----------
Brent RP (1973). Algorithms for Minimization without Derivatives, chapter 4. Prentice-Hall.
"""

from __future__ import annotations

from collections.abc import Callable

EPS = 2.220446049250313e-16
R_TOL = EPS**0.25  # R's default uniroot tolerance, .Machine$double.eps^0.25


def brent_root(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    tol: float = R_TOL,
    maxiter: int = 1000,
) -> tuple[float, bool]:
    """Find a root of ``f`` between ``lower`` and ``upper`` (signs must differ).

    Returns the root and whether it converged within ``maxiter`` steps.
    """
    a, b = lower, upper
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return a, True
    if fb == 0.0:
        return b, True
    if (fa > 0) == (fb > 0):
        raise ValueError("f(lower) and f(upper) have the same sign")
    c, fc = a, fa
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            # keep b the best approximation so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return b, True
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                # secant step when only two distinct points are known
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b, False
