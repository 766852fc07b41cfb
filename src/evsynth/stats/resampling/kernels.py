"""Batched fits: many subsets, sign flips or permuted data sets of one meta-analysis at once.

:func:`fit_batch` fits a batch of B models of the same form as :func:`evsynth.stats.models.rma`
(same estimators, same iterations, same Knapp-Hartung rules) with numpy operations over the whole
batch instead of one model at a time. A row's studies are chosen by a 0/1 mask (GOSH, leave-one-
out, cumulative analysis), its outcomes may differ (sign flips, parametric bootstrap) and so may
its sampling variances (non-parametric bootstrap) or its design matrix (permuted moderators).

The iterative estimators replay the engine's (and metafor's) steps row by row: Fisher scoring
for ML, REML and EB from the Hedges start with threshold 1e-5 and step halving, each row stopping
when its own change falls below the threshold; Paule-Mandel by Brent's method with R's
``uniroot`` steps, vectorised over the rows. The rare row that does not converge, or whose
Paule-Mandel bracket must be widened, is handed to the engine's own scalar estimator, so every
row is what ``rma`` would give.

References
----------
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics 30:261-293.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48. doi:10.18637/jss.v036.i03
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from evsynth.errors import InputError
from evsynth.stats import _dist
from evsynth.stats._linalg import FloatArray
from evsynth.stats._roots import EPS as MACHINE_EPS
from evsynth.stats._roots import R_TOL
from evsynth.stats.resampling._projection import (
    InterceptProjection,
    Projection,
    QRProjection,
    others,
)
from evsynth.stats.tau2 import FIXED_METHODS, MAXITER, METHODS, THRESHOLD, estimate_tau2

#: rma's threshold below which the Knapp-Hartung residual is treated as an exact fit
EPS = 2.220446049250313e-16


@dataclass(frozen=True, eq=False)
class BatchFit:
    """B fitted models (one per row of a batch).

    Attributes
    ----------
    k : ndarray of int
        Studies in each row's model.
    coefficients, coef_se, coef_statistic : ndarray
        (B, p) coefficients, standard errors and z (or t) statistics; column 0 is the pooled
        effect of an intercept-only model.
    tau2, Q, I2, H2 : ndarray
        Between-study variance, Cochran's Q (QE), I^2 in percent and H^2, as ``rma`` reports
        them.
    QM : ndarray
        Omnibus test of the moderators (of the intercept when there are none): chi^2, or F under
        Knapp-Hartung.
    df : ndarray
        Residual degrees of freedom of the t tests (NaN under the z test).
    test : ndarray of str
        The test each row used (``knha`` falls back to ``z`` for a single study, as rma does).
    converged : ndarray of bool
        False where the estimator did not converge (the engine's fallback was used).
    """

    method: str
    k: np.ndarray
    coefficients: FloatArray
    coef_se: FloatArray
    coef_statistic: FloatArray
    tau2: FloatArray
    Q: FloatArray
    I2: FloatArray
    H2: FloatArray
    QM: FloatArray
    df: FloatArray
    knha: np.ndarray
    converged: np.ndarray

    @property
    def estimate(self) -> FloatArray:
        """The first coefficient (the pooled effect of an intercept-only model)."""
        out: FloatArray = self.coefficients[:, 0]
        return out

    @property
    def se(self) -> FloatArray:
        """Standard error of the first coefficient."""
        out: FloatArray = self.coef_se[:, 0]
        return out

    @property
    def statistic(self) -> FloatArray:
        """z (or t) statistic of the first coefficient."""
        out: FloatArray = self.coef_statistic[:, 0]
        return out

    def critical_value(self, level: float) -> FloatArray:
        """Per row: the two-sided critical value (t with ``df`` under Knapp-Hartung, else z)."""
        alpha = 1.0 - level / 100.0
        z = float(_dist.norm_isf(alpha / 2.0))
        with np.errstate(invalid="ignore"):
            t = _dist.t_isf(alpha / 2.0, np.where(self.df > 0, self.df, 1.0))
        out: FloatArray = np.where(self.knha, np.where(self.df > 0, t, np.nan), z)
        return out

    def p_values(self) -> FloatArray:
        """(B, p) two-sided p-values of the coefficients."""
        a = np.abs(self.coef_statistic)
        df = np.where(self.df > 0, self.df, 1.0)[:, None]
        with np.errstate(invalid="ignore"):
            t = 2.0 * _dist.t_sf(a, df)
        out: FloatArray = np.where(
            self.knha[:, None], np.where(self.df[:, None] > 0, t, np.nan), 2.0 * _dist.norm_sf(a)
        )
        return out


def fit_batch(
    y: ArrayLike,
    v: ArrayLike,
    *,
    method: str = "REML",
    test: str = "z",
    mask: ArrayLike | None = None,
    X: ArrayLike | None = None,
    gosh_heterogeneity: bool = False,
) -> BatchFit:
    """Fit B models at once.

    Parameters
    ----------
    y : array_like, shape (B, k) or (k,)
        Outcomes per row (a shared vector is broadcast when ``mask`` or ``X`` gives B).
    v : array_like, shape (B, k) or (k,)
        Sampling variances.
    method : str
        FE (EE, CE), DL, HE, HS, SJ, ML, REML, EB or PM.
    test : str
        ``z`` or ``knha``.
    mask : array_like of bool, shape (B, k), optional
        Which studies each row's model holds (all by default).
    X : array_like, shape (k, p) or (B, k, p), optional
        Design matrix with the intercept as its first column; intercept-only by default.
    gosh_heterogeneity : bool
        Report I^2 and H^2 of FE and DL fits from Q, as metafor's ``gosh`` does (its fast path
        gives H^2 = Q/(k-1) also when the DL estimate of tau^2 is truncated at 0, where ``rma``
        gives 1).

    Returns
    -------
    BatchFit
    """
    method = str(method).upper()
    if method not in METHODS:
        raise InputError(f"Invalid method '{method}'; expected one of {', '.join(METHODS)}")
    test = str(test).lower()
    if test not in ("z", "knha"):
        raise InputError(f"Invalid test '{test}'; expected one of z, knha")
    Y, V, M, Xa = _shapes(y, v, mask, X)
    n = M.sum(axis=1)
    p = 1 if Xa is None else Xa.shape[-1]
    # centre the outcomes of each row over its own studies, as the engine does
    Yc = np.where(M, Y - _masked_mean(Y, M)[:, None], 0.0)
    # y'Py and tr(P) with the fixed-effect weights: Q and the heterogeneity statistics of every
    # fit, and the DL estimate itself (computed once; each row's value depends on that row only)
    with np.errstate(divide="ignore", invalid="ignore"):
        Pf = _projection(Xa, M.astype(np.float64) / V)
        fixed_qt = (Pf.quad(Yc), Pf.trace())
    tau2, converged = _tau2(method, Yc, V, M, Xa, n, p, Y, fixed_qt)
    return _finish(
        method, test, Y, Yc, V, M, Xa, n, p, tau2, converged, gosh_heterogeneity, fixed_qt
    )


# ---------------------------------------------------------------------- inputs
def _shapes(
    y: ArrayLike, v: ArrayLike, mask: ArrayLike | None, X: ArrayLike | None
) -> tuple[FloatArray, FloatArray, np.ndarray, FloatArray | None]:
    Y = np.asarray(y, dtype=np.float64)
    V = np.asarray(v, dtype=np.float64)
    Xa = None if X is None else np.asarray(X, dtype=np.float64)
    rows = [a.shape[0] for a in (Y, V) if a.ndim == 2]
    if mask is not None:
        rows.append(np.asarray(mask).shape[0])
    if Xa is not None and Xa.ndim == 3:
        rows.append(Xa.shape[0])
    B = rows[0] if rows else 1
    k = Y.shape[-1]
    Y = np.broadcast_to(Y, (B, k))
    V = np.broadcast_to(V, (B, k))
    M = np.ones((B, k), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if M.shape != (B, k):
        raise InputError(f"'mask' has shape {M.shape}; expected {(B, k)}")
    if Xa is not None and Xa.shape[-2] != k:
        raise InputError(f"'X' has {Xa.shape[-2]} rows for {k} studies")
    if Xa is not None and Xa.shape[-1] == 1 and np.all(Xa == 1.0):
        Xa = None  # the intercept-only model has a closed form
    return Y, V, M, Xa


def _masked_mean(Y: FloatArray, M: np.ndarray) -> FloatArray:
    n = np.maximum(M.sum(axis=1), 1)
    out: FloatArray = np.where(M, Y, 0.0).sum(axis=1) / n
    return out


def _projection(Xa: FloatArray | None, w: FloatArray, rows: np.ndarray | None = None) -> Projection:
    if Xa is None:
        return InterceptProjection(w)
    if Xa.ndim == 3 and rows is not None:
        return QRProjection(Xa[rows], w)
    return QRProjection(Xa, w)


def _sub(Xa: FloatArray | None, rows: np.ndarray) -> FloatArray | None:
    if Xa is None or Xa.ndim == 2:
        return Xa
    out: FloatArray = Xa[rows]
    return out


# ---------------------------------------------------------------------- tau^2
def _tau2(
    method: str,
    Y: FloatArray,
    V: FloatArray,
    M: np.ndarray,
    Xa: FloatArray | None,
    n: np.ndarray,
    p: int,
    Y_raw: FloatArray,
    fixed_qt: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, np.ndarray]:
    B = Y.shape[0]
    tau2 = np.zeros(B)
    converged = np.ones(B, dtype=bool)
    # the engine: tau^2 = 0 for fixed-effect models and for a single study
    # (rows with no residual degree of freedom, n <= p, cannot be fitted and become NaN later)
    todo = np.flatnonzero(n > max(1, p)) if method not in FIXED_METHODS else np.zeros(0, dtype=int)
    if todo.size == 0:
        return tau2, converged
    y, v, m, xa = Y[todo], V[todo], M[todo], _sub(Xa, todo)
    nn = n[todo].astype(np.float64)
    mf = m.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "DL":
            t = np.maximum(0.0, (fixed_qt[0][todo] - (nn - p)) / fixed_qt[1][todo])
        elif method == "HE":
            t = np.maximum(0.0, _he_raw(y, v, mf, xa, nn, p))
        elif method == "HS":
            w = mf / v
            P = _projection(xa, w)
            t = np.maximum(0.0, (P.quad(y) - nn) / w.sum(axis=1))
        elif method == "SJ":
            t = _sj(y, v, mf, xa, nn, p)
        elif method == "PM":
            t, ok = _pm(y, v, mf, xa, nn, p)
            converged[todo] = ok
        else:
            t, ok = _fisher_scoring(method, y, v, mf, xa, nn, p)
            converged[todo] = ok
    tau2[todo] = t
    # rows the vectorised replay could not settle: the engine's own estimator, one at a time,
    # on the outcomes as given (its fallback optimiser is sensitive to rounding of centred ones)
    for i in np.flatnonzero(~converged):
        sel = M[i]
        Xi = np.ones((int(sel.sum()), 1)) if Xa is None else (Xa[i] if Xa.ndim == 3 else Xa)[sel]
        est = estimate_tau2(method, Y_raw[i, sel] + 0.0, V[i, sel] + 0.0, Xi)
        tau2[i] = est.tau2
    return tau2, converged


def _he_raw(
    y: FloatArray, v: FloatArray, mf: FloatArray, xa: FloatArray | None, n: FloatArray, p: int
) -> FloatArray:
    P = _projection(xa, mf)  # ordinary least squares over the row's studies
    out: FloatArray = (P.quad(y) - P.trace(v)) / (n - p)
    return out


def _sj(
    y: FloatArray, v: FloatArray, mf: FloatArray, xa: FloatArray | None, n: FloatArray, p: int
) -> FloatArray:
    # start: the (biased) variance of the outcomes; y is already centred per row
    t0 = (mf * y * y).sum(axis=1) / n
    w = mf / (v + t0[:, None])
    P = _projection(xa, w)
    out: FloatArray = np.where(t0 > 0.0, np.maximum(0.0, t0 * P.quad(y) / (n - p)), 0.0)
    return out


def _fisher_scoring(
    method: str,
    y: FloatArray,
    v: FloatArray,
    mf: FloatArray,
    xa: FloatArray | None,
    n: FloatArray,
    p: int,
) -> tuple[FloatArray, np.ndarray]:
    B = y.shape[0]
    tau2 = np.maximum(0.0, _he_raw(y, v, mf, xa, n, p))
    converged = np.ones(B, dtype=bool)
    # the working set: rows still iterating (plus, until the next compaction, some that have
    # stopped; their updates are discarded)
    rows = np.arange(B)
    live = np.ones(B, dtype=bool)
    ya, va, ma, na = y, v, mf, n
    iterations = 0
    while rows.size:
        iterations += 1
        t = tau2[rows]
        w = ma / (va + t[:, None])
        if xa is None:
            adj = _intercept_step(method, w, ya, na)
        else:
            P = _projection(xa, w, rows)
            Py = P.py(ya)
            if method == "ML":
                adj = (np.einsum("ij,ij->i", Py, Py) - w.sum(axis=1)) / (w * w).sum(axis=1)
            elif method == "REML":
                adj = (np.einsum("ij,ij->i", Py, Py) - P.trace()) / P.sum_sq(w, w)
            else:  # EB
                adj = (np.einsum("ij,ij->i", ya, Py) * na / (na - p) - na) / w.sum(axis=1)
        # NaN (and an infinite step from a degenerate row) ends the iteration, as in the engine
        adj = np.where(np.isfinite(adj), adj, 0.0)
        # step halving keeps tau^2 inside the parameter space
        adj = halve_into_range(t, adj)
        new = t + adj
        tau2[rows] = np.where(live, new, t)
        live &= np.abs(t - new) > THRESHOLD
        if iterations > MAXITER:
            converged[rows[live]] = False
            break
        if live.sum() < 0.75 * rows.size:
            # compact the working set once a quarter of it has stopped
            rows, ya, va, ma, na = rows[live], ya[live], va[live], ma[live], na[live]
            live = np.ones(rows.size, dtype=bool)
    if method in ("ML", "REML"):
        # Fisher scoring can stop at a local maximum away from 0; then tau^2 = 0 (as metafor)
        reml = method == "REML"
        ll0 = _loglik(np.zeros(B), y, v, mf, xa, n, p, reml)
        ll = _loglik(tau2, y, v, mf, xa, n, p, reml)
        tau2 = np.where((ll0 - ll > R_TOL) & (tau2 > THRESHOLD), 0.0, tau2)
    return np.maximum(0.0, tau2), converged


def halve_into_range(t: FloatArray, adj: FloatArray) -> FloatArray:
    """``adj / 2^m`` with the smallest ``m >= 0`` such that ``t + adj / 2^m >= 0``.

    The engine halves one step at a time (``while t + adj < 0: adj /= 2``), which from
    ``t = 0`` takes about 1,075 halvings until ``adj`` underflows to -0. Halving is exact in
    binary, so ``m`` is found from ``log2(-adj / t)`` and adjusted by the same comparison; the
    result is bit for bit the engine's.
    """
    neg = np.flatnonzero(t + adj < 0.0)
    if neg.size == 0:
        return adj
    out = adj.copy()
    tt, aa = t[neg], adj[neg]
    at_zero = tt <= 0.0
    with np.errstate(divide="ignore"):
        guess = np.ceil(np.log2(-aa / np.where(at_zero, 1.0, tt)))
    m = np.where(at_zero, 0, np.clip(guess, 0, 1100)).astype(np.int64)
    scaled = np.ldexp(aa, -m)
    # m too small: halve further; m too large: the previous halving already sufficed
    short = ~at_zero & (tt + scaled < 0.0)
    while np.any(short):
        m[short] += 1
        scaled = np.ldexp(aa, -m)
        short = ~at_zero & (tt + scaled < 0.0)
    long = ~at_zero & (m > 0) & (tt + np.ldexp(aa, -(m - 1)) >= 0.0)
    while np.any(long):
        m[long] -= 1
        long = ~at_zero & (m > 0) & (tt + np.ldexp(aa, -(m - 1)) >= 0.0)
    scaled = np.ldexp(aa, -m)
    # from 0 every halving stays negative until adj underflows to -0.0
    scaled[at_zero] = -0.0
    out[neg] = scaled
    return out


def _intercept_step(method: str, w: FloatArray, y: FloatArray, n: FloatArray) -> FloatArray:
    """One Fisher scoring step of the intercept-only model, in closed form.

    The same arithmetic as the generic path through :class:`InterceptProjection` (``P y = w r``
    with ``r = y - ybar_w``; ``tr(P)`` and ``sum(P * P)`` from the others' weights), without
    its intermediate arrays: the inner loop of GOSH and of sign-flip tests.
    """
    W = w.sum(axis=1)
    wr = w * (y - (np.einsum("ij,ij->i", w, y) / W)[:, None])
    if method == "ML":
        out: FloatArray = (np.einsum("ij,ij->i", wr, wr) - W) / np.einsum("ij,ij->i", w, w)
        return out
    if method == "EB":
        out = (np.einsum("ij,ij->i", y, wr) * n / (n - 1) - n) / W
        return out
    omh = others(w) / W[:, None]
    w2 = w * w
    sum_pp = np.einsum("ij,ij->i", w2, omh * omh) + np.einsum("ij,ij->i", w2, others(w2)) / W**2
    out = (np.einsum("ij,ij->i", wr, wr) - np.einsum("ij,ij->i", w, omh)) / sum_pp
    return out


def _loglik(
    tau2: FloatArray,
    y: FloatArray,
    v: FloatArray,
    mf: FloatArray,
    xa: FloatArray | None,
    n: FloatArray,
    p: int,
    reml: bool,
) -> FloatArray:
    tv = v + tau2[:, None]
    w = mf / tv
    P = _projection(xa, w)
    logv = (mf * np.log(tv)).sum(axis=1)
    if not reml:
        out: FloatArray = -0.5 * n * math.log(2 * math.pi) - 0.5 * logv - 0.5 * P.quad(y)
        return out
    out = -0.5 * (n - p) * math.log(2 * math.pi) - 0.5 * logv - 0.5 * P.logdet() - 0.5 * P.quad(y)
    return out


def _mad(y: FloatArray, mf: FloatArray) -> FloatArray:
    z = np.where(mf > 0, y, np.nan)
    med = np.nanmedian(z, axis=1)
    out: FloatArray = 1.4826 * np.nanmedian(np.abs(z - med[:, None]), axis=1)
    return out


def _pm(
    y: FloatArray, v: FloatArray, mf: FloatArray, xa: FloatArray | None, n: FloatArray, p: int
) -> tuple[FloatArray, np.ndarray]:
    target = n - p

    def excess(t: FloatArray, rows: np.ndarray) -> FloatArray:
        w = mf[rows] / (v[rows] + t[:, None])
        out: FloatArray = _projection(xa, w, rows).quad(y[rows]) - target[rows]
        return out

    B = y.shape[0]
    allrows = np.arange(B)
    upper = np.maximum(100.0, 10.0 * _mad(y, mf) ** 2)
    f0 = excess(np.zeros(B), allrows)
    fu = excess(upper, allrows)
    tau2 = np.zeros(B)
    ok = np.ones(B, dtype=bool)
    ok[fu > 0.0] = False  # the engine widens the bracket; let it do so for these rows
    search = np.flatnonzero((f0 >= 0.0) & (fu <= 0.0))
    if search.size:
        root, conv = brent_roots(
            excess, np.zeros(search.size), upper[search], f0[search], fu[search], search
        )
        tau2[search] = np.maximum(0.0, root)
        ok[search] &= conv
    return tau2, ok


def brent_roots(
    f: object,
    lower: FloatArray,
    upper: FloatArray,
    flower: FloatArray,
    fupper: FloatArray,
    rows: np.ndarray,
    *,
    tol: float = R_TOL,
    maxiter: int = MAXITER,
) -> tuple[FloatArray, np.ndarray]:
    """Brent's root finder with R's ``uniroot`` steps, for many functions at once.

    Each row follows exactly the steps of :func:`evsynth.stats._roots.brent_root` (R's
    ``zeroin``); rows stop independently. ``f(x, rows)`` evaluates the functions of ``rows`` at
    ``x``. Returns the roots and whether each converged within ``maxiter`` steps.
    """
    func = f  # typed loosely to accept closures
    a, b = lower.copy(), upper.copy()
    fa, fb = flower.copy(), fupper.copy()
    c, fc = a.copy(), fa.copy()
    done = (fa == 0.0) | (fb == 0.0)
    root = np.where(fb == 0.0, b, np.where(fa == 0.0, a, np.nan))
    conv = done.copy()
    for _ in range(maxiter + 1):
        act = ~done
        if not np.any(act):
            break
        prev_step = b - a
        swap = act & (np.abs(fc) < np.abs(fb))
        a = np.where(swap, b, a)
        b = np.where(swap, c, b)
        c = np.where(swap, a, c)  # a now holds the old b
        fa = np.where(swap, fb, fa)
        fb = np.where(swap, fc, fb)
        fc = np.where(swap, fa, fc)
        tol_act = 2.0 * MACHINE_EPS * np.abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        stop = act & ((np.abs(new_step) <= tol_act) | (fb == 0.0))
        root = np.where(stop, b, root)
        conv |= stop
        done |= stop
        act = ~done
        if not np.any(act):
            break
        interp = act & (np.abs(prev_step) >= tol_act) & (np.abs(fa) > np.abs(fb))
        with np.errstate(divide="ignore", invalid="ignore"):
            cb = c - b
            secant = a == c
            t1s = fb / fa
            p_sec = cb * t1s
            q_sec = 1.0 - t1s
            q0 = fa / fc
            t1 = fb / fc
            t2 = fb / fa
            p_iq = t2 * (cb * q0 * (q0 - t1) - (b - a) * (t1 - 1.0))
            q_iq = (q0 - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            pp = np.where(secant, p_sec, p_iq)
            qq = np.where(secant, q_sec, q_iq)
            qq = np.where(pp > 0, -qq, qq)
            pp = np.abs(pp)
            accept = (
                interp
                & (pp < (0.75 * cb * qq - np.abs(tol_act * qq) / 2.0))
                & (pp < np.abs(prev_step * qq / 2.0))
            )
            new_step = np.where(accept, pp / qq, new_step)
        small = np.abs(new_step) < tol_act
        new_step = np.where(small, np.where(new_step > 0, tol_act, -tol_act), new_step)
        a = np.where(act, b, a)
        fa = np.where(act, fb, fa)
        b = np.where(act, b + new_step, b)
        idx = np.flatnonzero(act)
        fb_new = fb.copy()
        fb_new[idx] = func(b[idx], rows[idx])  # type: ignore[operator]
        fb = fb_new
        same = act & (((fb > 0) & (fc > 0)) | ((fb < 0) & (fc < 0)))
        c = np.where(same, a, c)
        fc = np.where(same, fa, fc)
    root = np.where(done, root, b)
    return root, conv


# ---------------------------------------------------------------------- the fit
def _finish(
    method: str,
    test: str,
    Y: FloatArray,
    Yc: FloatArray,
    V: FloatArray,
    M: np.ndarray,
    Xa: FloatArray | None,
    n: np.ndarray,
    p: int,
    tau2: FloatArray,
    converged: np.ndarray,
    gosh_heterogeneity: bool,
    fixed_qt: tuple[FloatArray, FloatArray],
) -> BatchFit:
    mf = M.astype(np.float64)
    nf = n.astype(np.float64)
    B = Y.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = mf / (V + tau2[:, None])
        P = _projection(Xa, w)
        beta = P.beta(Y)
        vb = P.vb()
        knha = np.full(B, test == "knha") & (n > 1)  # a single study: z test, as rma
        df = np.where(knha, nf - p, np.nan)
        rss = (P.residual(Y) ** 2).sum(axis=1)
        s2w = np.where(knha, np.where((rss <= EPS) | (n == p), 0.0, rss / (nf - p)), 1.0)
        vb = s2w[:, None, None] * vb
        se = np.sqrt(np.diagonal(vb, axis1=1, axis2=2))
        zval = beta / se
        QM = _omnibus(beta, vb, p, Xa is not None, knha)

        # heterogeneity with the fixed-effect weights (centred outcomes, as rma)
        resid = n > p
        Q = np.where(resid, np.maximum(0.0, fixed_qt[0]), 0.0)
        vt = (nf - p) / fixed_qt[1]
        fixed = method in FIXED_METHODS
        if fixed or (gosh_heterogeneity and method == "DL"):
            I2 = np.where(Q > 0, np.maximum(0.0, 100.0 * (Q - (nf - p)) / Q), 0.0)
            H2 = Q / (nf - p)
        else:
            I2 = 100.0 * tau2 / (vt + tau2)
            H2 = tau2 / vt + 1.0
        I2 = np.where(resid, I2, 0.0)
        H2 = np.where(resid, H2, 1.0)
    # rows whose model cannot be fitted (too few studies for the coefficients, or collinear)
    bad = ~P.full_rank() | (n < p)
    if not fixed and p > 1:
        bad |= n < p + 1  # rma needs a residual degree of freedom for tau^2
    if np.any(bad):
        for arr in (beta, se, zval):
            arr[bad] = np.nan
        for arr1 in (tau2, Q, I2, H2, QM):
            arr1[bad] = np.nan
    return BatchFit(
        method=method,
        k=n,
        coefficients=beta,
        coef_se=se,
        coef_statistic=zval,
        tau2=tau2,
        Q=Q,
        I2=I2,
        H2=H2,
        QM=QM,
        df=df,
        knha=knha,
        converged=converged,
    )


def _omnibus(
    beta: FloatArray, vb: FloatArray, p: int, has_mods: bool, knha: np.ndarray
) -> FloatArray:
    btt = list(range(1, p)) if (p > 1 and has_mods) else list(range(p))
    b = beta[:, btt]
    sub = vb[:, btt][:, :, btt]
    if len(btt) == 1:
        qm = b[:, 0] ** 2 / sub[:, 0, 0]
    else:
        qm = np.einsum("bi,bi->b", b, np.linalg.solve(sub, b[:, :, None])[:, :, 0])
    out: FloatArray = np.where(knha, qm / len(btt), qm)
    return out
