"""Weighted least squares pieces shared by the pooling models (private).

Everything here works on a design matrix ``X`` (k x p), outcomes ``y`` (k) and weights ``w`` (k).
The formulas follow metafor's ``rma.uni`` (Viechtbauer 2010), which states the random-effects
model as weighted least squares with weights ``1 / (vi + tau2)``.

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48. doi:10.18637/jss.v036.i03
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _qr(X: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    sw = np.sqrt(w)
    q, r = np.linalg.qr(sw[:, None] * X)
    return sw, q, r


def inv_xwx(X: FloatArray, w: FloatArray) -> FloatArray:
    """Return ``(X' W X)^-1`` through a QR decomposition of ``sqrt(W) X``.

    QR rather than a direct inverse keeps very unequal weights (ratios of 1e8 occur with rare
    events) from losing precision, as metafor does with ``qr.solve``.
    """
    _sw, _q, r = _qr(X, w)
    r_inv = np.linalg.solve(r, np.eye(r.shape[0]))
    out: FloatArray = r_inv @ r_inv.T
    return out


def wls(X: FloatArray, y: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted least squares coefficients and ``(X' W X)^-1``."""
    sw, q, r = _qr(X, w)
    beta: FloatArray = np.asarray(np.linalg.solve(r, q.T @ (sw * y)), dtype=np.float64)
    r_inv = np.linalg.solve(r, np.eye(r.shape[0]))
    vb: FloatArray = r_inv @ r_inv.T
    return beta, vb


def p_matrix(X: FloatArray, w: FloatArray) -> FloatArray:
    """The residual-forming matrix ``P = W - W X (X' W X)^-1 X' W`` (k x k; for small k only).

    Formed as ``W^1/2 (I - Q Q') W^1/2`` from the QR decomposition of ``W^1/2 X``, which avoids
    the cancellation of the textbook formula when the moderators are nearly collinear with the
    intercept or the weights are very unequal. The fitting code uses :class:`Projection`, which
    never forms this matrix.
    """
    sw, q, _r = _qr(X, w)
    m = np.eye(X.shape[0]) - q @ q.T
    out: FloatArray = sw[:, None] * m * sw[None, :]
    return out


def _sum_of_others(x: FloatArray) -> FloatArray:
    """``sum(x) - x_i`` for each i, from prefix and suffix sums (no cancellation)."""
    before = np.concatenate(([0.0], np.cumsum(x)[:-1]))
    after = np.concatenate((np.cumsum(x[::-1])[:-1][::-1], [0.0]))
    out: FloatArray = before + after
    return out


class Projection:
    """``P = W^1/2 M W^1/2`` with ``M = I - Q Q'`` and ``Q`` from the QR of ``W^1/2 X``.

    Everything metafor computes from ``P`` (``y'Py``, ``Py``, ``tr(P)``, sums of squared
    elements of ``P`` and ``PV``) is available in O(k p^2) time and O(k p) memory, so that a
    model with 10,000 studies never forms a 10,000 x 10,000 matrix.
    """

    def __init__(self, X: FloatArray, w: FloatArray) -> None:
        self.w = w
        self.sw, self.q, _r = _qr(X, w)
        #: leverages, the diagonal of Q Q' (metafor's hat values for these weights)
        self.h: FloatArray = np.einsum("ij,ij->i", self.q, self.q)
        #: 1 - h, computed without cancellation for intercept-only models, where a study with
        #: nearly all the weight has h = 1 - (the others' weight) / (total weight)
        self.one_minus_h: FloatArray
        self.intercept_only = bool(X.shape[1] == 1 and np.all(X[:, 0] == X[0, 0]))
        if self.intercept_only:
            self.one_minus_h = _sum_of_others(w) / float(np.sum(w))
        else:
            self.one_minus_h = np.clip(1.0 - self.h, 0.0, 1.0)

    def py(self, y: FloatArray) -> FloatArray:
        """``P y``."""
        z = self.sw * y
        out: FloatArray = self.sw * (z - self.q @ (self.q.T @ z))
        return out

    def quad(self, y: FloatArray) -> float:
        """``y' P y``."""
        z = self.sw * y
        r = z - self.q @ (self.q.T @ z)
        return float(r @ r)

    def trace(self, v: FloatArray | None = None) -> float:
        """``tr(P)``, or ``tr(P V)`` for a diagonal ``V = diag(v)``."""
        d = self.w * self.one_minus_h
        return float(np.sum(d if v is None else d * v))

    def sum_sq(self, a: FloatArray, b: FloatArray) -> float:
        """``sum_ij a_i b_j M_ij^2`` for the unweighted ``M = I - Q Q'``.

        With ``a = b = w`` this is ``sum(P * P)``; with ``a = b = w v`` it is
        ``sum(PV * t(PV))``; with ``a = w, b = w v`` it is ``sum(PV * P)``.
        """
        if self.intercept_only:
            # M_ii = 1 - h_i and M_ij^2 = w_i w_j / W^2: a sum of positive terms, exact even
            # when one study carries nearly all the weight
            total_w = float(np.sum(self.w))
            diag = float(np.sum(a * b * self.one_minus_h**2))
            off = float(np.sum(a * self.w * _sum_of_others(b * self.w))) / total_w**2
            return diag + off
        qa = self.q.T @ (a[:, None] * self.q)
        qb = self.q.T @ (b[:, None] * self.q)
        total = float(np.sum(a * b * (1.0 - 2.0 * self.h)) + np.sum(qa * qb.T))
        # a sum of squares: a negative value is cancellation with extreme weights
        return max(total, 0.0)


def weighted_rss(X: FloatArray, y: FloatArray, w: FloatArray) -> float:
    """``y' P y``: the weighted residual sum of squares (Cochran's Q when ``w = 1/vi``)."""
    sw, q, _r = _qr(X, w)
    z = sw * y
    resid = z - q @ (q.T @ z)
    return float(resid @ resid)


def has_full_rank(X: FloatArray, evtol: float = 1e-7) -> bool:
    """True when ``X' X`` has no eigenvalue at or below ``evtol`` (metafor's rank check)."""
    ev = np.linalg.eigvalsh(X.T @ X)
    return bool(np.all(ev > evtol))
