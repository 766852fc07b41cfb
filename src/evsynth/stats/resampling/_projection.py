"""Batched weighted projections for many small models at once (private).

Each row of a batch is one model: outcomes ``y`` (k), weights ``w`` (k, zero for a study left out
of the row's subset) and a design matrix. Everything the tau^2 estimators need from the
residual-forming matrix ``P = W - W X (X'WX)^-1 X'W`` (``Py``, ``y'Py``, ``tr(P V)``, sums of
squared elements, ``log|X'WX|``) is computed for all rows together, without forming ``P``.

Two backends share one interface: :class:`InterceptProjection` (the intercept-only model, in
closed form, O(k) per row) and :class:`QRProjection` (any design, through a batched QR of
``W^1/2 X`` as :class:`evsynth.stats._linalg.Projection` does for one model).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from evsynth.stats._linalg import FloatArray


class InterceptProjection:
    """``P`` for the intercept-only model: ``P = W - w w' / sum(w)``.

    With ``h_i = w_i / sum(w)`` (the leverages) every quantity has a closed form, e.g.
    ``sum(P * P) = sum w^2 (1 - 2h) + (sum w h)^2``.
    """

    p = 1

    def __init__(self, w: FloatArray) -> None:
        self.w = w
        self.sum_w: FloatArray = w.sum(axis=1)

    # The leverages are computed on first use: the final fit of a batch needs only beta, its
    # variance and the residuals, and skipping them there saves a tenth of a DL GOSH.
    @cached_property
    def h(self) -> FloatArray:
        """The leverages ``w_i / sum(w)``."""
        out: FloatArray = self.w / self.sum_w[:, None]
        return out

    @cached_property
    def one_minus_h(self) -> FloatArray:
        """``1 - h`` as (the others' weight) / (total weight): no cancellation when one study
        carries nearly all the weight (as ``_linalg.Projection`` does for one model)."""
        out: FloatArray = others(self.w) / self.sum_w[:, None]
        return out

    def beta(self, y: FloatArray) -> FloatArray:
        """Weighted least squares coefficients, shape (B, 1)."""
        out: FloatArray = (np.einsum("ij,ij->i", self.w, y) / self.sum_w)[:, None]
        return out

    def vb(self) -> FloatArray:
        """``(X'WX)^-1``, shape (B, 1, 1)."""
        out: FloatArray = (1.0 / self.sum_w)[:, None, None]
        return out

    def residual(self, y: FloatArray) -> FloatArray:
        """``W^1/2 (y - X beta)``: the weighted residuals."""
        out: FloatArray = np.sqrt(self.w) * (y - self.beta(y))
        return out

    def py(self, y: FloatArray) -> FloatArray:
        """``P y``."""
        out: FloatArray = self.w * (y - self.beta(y))
        return out

    def quad(self, y: FloatArray) -> FloatArray:
        """``y' P y``."""
        r = y - self.beta(y)
        out: FloatArray = np.einsum("ij,ij->i", self.w * r, r)
        return out

    def trace(self, v: FloatArray | None = None) -> FloatArray:
        """``tr(P)`` or ``tr(P V)``."""
        d = self.w * self.one_minus_h
        out: FloatArray = d.sum(axis=1) if v is None else np.einsum("ij,ij->i", d, _rows(v, d))
        return out

    def sum_sq(self, a: FloatArray, b: FloatArray) -> FloatArray:
        """``sum_ij a_i b_j M_ij^2`` with ``M = I - Q Q'`` (see ``_linalg.Projection``).

        ``M_ii = 1 - h_i`` and ``M_ij^2 = w_i w_j / W^2``: a sum of positive terms, exact even
        with extreme weights.
        """
        a = _rows(a, self.w)
        b = _rows(b, self.w)
        diag = np.einsum("ij,ij->i", a * b, self.one_minus_h**2)
        off = np.einsum("ij,ij->i", a * self.w, others(b * self.w)) / self.sum_w**2
        out: FloatArray = diag + off
        return out

    def logdet(self) -> FloatArray:
        """``log |X' W X|``."""
        out: FloatArray = np.log(self.sum_w)
        return out

    def full_rank(self) -> np.ndarray:
        """Rows whose weighted design has full column rank."""
        return np.asarray(self.sum_w > 0.0)


class QRProjection:
    """``P`` for any design: ``W^1/2 (I - Q Q') W^1/2`` with ``Q`` from the QR of ``W^1/2 X``.

    ``X`` is (k, p) for a design shared by all rows or (B, k, p) for one design per row (rows of
    the moderators permuted).
    """

    def __init__(self, X: FloatArray, w: FloatArray) -> None:
        self.w = w
        self.sw = np.sqrt(w)
        A = self.sw[:, :, None] * (X if X.ndim == 3 else X[None, :, :])
        self.p = A.shape[2]
        self.q, self.r = np.linalg.qr(A)
        self.h: FloatArray = np.einsum("bij,bij->bi", self.q, self.q)

    def _qtz(self, z: FloatArray) -> FloatArray:
        out: FloatArray = np.einsum("bij,bi->bj", self.q, z)
        return out

    def beta(self, y: FloatArray) -> FloatArray:
        """Weighted least squares coefficients, shape (B, p)."""
        rhs = self._qtz(self.sw * y)
        out: FloatArray = np.linalg.solve(self.r, rhs[:, :, None])[:, :, 0]
        return out

    def vb(self) -> FloatArray:
        """``(X'WX)^-1``, shape (B, p, p)."""
        eye = np.broadcast_to(np.eye(self.p), self.r.shape)
        r_inv = np.linalg.solve(self.r, eye)
        out: FloatArray = r_inv @ np.swapaxes(r_inv, 1, 2)
        return out

    def residual(self, y: FloatArray) -> FloatArray:
        """``W^1/2 (y - X beta)``."""
        z = self.sw * y
        out: FloatArray = z - np.einsum("bij,bj->bi", self.q, self._qtz(z))
        return out

    def py(self, y: FloatArray) -> FloatArray:
        """``P y``."""
        out: FloatArray = self.sw * self.residual(y)
        return out

    def quad(self, y: FloatArray) -> FloatArray:
        """``y' P y``."""
        r = self.residual(y)
        out: FloatArray = np.einsum("bi,bi->b", r, r)
        return out

    def trace(self, v: FloatArray | None = None) -> FloatArray:
        """``tr(P)`` or ``tr(P V)``."""
        d = self.w * np.clip(1.0 - self.h, 0.0, 1.0)
        out: FloatArray = d.sum(axis=1) if v is None else np.einsum("ij,ij->i", d, _rows(v, d))
        return out

    def sum_sq(self, a: FloatArray, b: FloatArray) -> FloatArray:
        """``sum_ij a_i b_j M_ij^2`` with ``M = I - Q Q'`` (negative only by cancellation)."""
        a = _rows(a, self.w)
        b = _rows(b, self.w)
        qa = np.einsum("bij,bi,bik->bjk", self.q, a, self.q)
        qb = np.einsum("bij,bi,bik->bjk", self.q, b, self.q)
        total = np.einsum("bi->b", a * b * (1.0 - 2.0 * self.h)) + np.einsum("bjk,bkj->b", qa, qb)
        out: FloatArray = np.maximum(total, 0.0)
        return out

    def logdet(self) -> FloatArray:
        """``log |X' W X|`` (twice the log of the absolute diagonal of R)."""
        d = np.abs(np.diagonal(self.r, axis1=1, axis2=2))
        with np.errstate(divide="ignore"):
            out: FloatArray = 2.0 * np.log(d).sum(axis=1)
        return out

    def full_rank(self) -> np.ndarray:
        """Rows whose weighted design has full column rank (relative to the largest pivot)."""
        d = np.abs(np.diagonal(self.r, axis1=1, axis2=2))
        return np.asarray(d.min(axis=1) > 1e-10 * np.maximum(d.max(axis=1), 1e-300))


Projection = InterceptProjection | QRProjection


def others(x: FloatArray) -> FloatArray:
    """Per row, ``sum(x) - x_i`` for non-negative ``x``.

    The plain difference loses precision only where one term holds most of its row's sum; those
    rows (rare) are recomputed from prefix and suffix sums.
    """
    total = x.sum(axis=1, keepdims=True)
    out: FloatArray = total - x
    risky = np.flatnonzero((x > 0.5 * total).any(axis=1))
    if risky.size:
        out[risky] = sum_of_others(x[risky])
    return out


def sum_of_others(x: FloatArray) -> FloatArray:
    """Per row, ``sum(x) - x_i`` from prefix and suffix sums (no cancellation)."""
    before = np.zeros_like(x)
    np.cumsum(x[:, :-1], axis=1, out=before[:, 1:])
    after = np.zeros_like(x)
    np.cumsum(x[:, :0:-1], axis=1, out=after[:, -2::-1])
    out: FloatArray = before + after
    return out


def _rows(v: FloatArray, like: FloatArray) -> FloatArray:
    out: FloatArray = np.broadcast_to(v, like.shape)
    return out
