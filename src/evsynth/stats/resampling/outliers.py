"""Which studies drive the clusters of a GOSH plot.

A GOSH plot of a meta-analysis with an influential or outlying study often falls apart into
clusters: the subsets that hold the study and those that do not (Olkin et al. 2012). Following
Harrer et al. (2021), the points (estimate, I^2; each scaled to unit variance) are clustered by
k-means, DBSCAN and a Gaussian mixture (scikit-learn). For every cluster and every study we
compare how often the cluster's subsets hold the study with how often they hold the average
study (which reflects only the sizes of the cluster's subsets). A study whose inclusion rate in
some cluster (of at least ``min_share`` of the subsets) differs from that average by at least
``threshold`` (default 0.3) is named as driving that cluster: the cluster is (almost) made of
the subsets with, or without, that study.

For speed, clustering uses at most ``max_points`` subsets drawn at random with a fixed seed.

References
----------
Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study heterogeneity.
Research Synthesis Methods 3:214-223. doi:10.1002/jrsm.1053
Harrer M, Cuijpers P, Furukawa TA, Ebert DD (2021). Doing Meta-Analysis with R: A Hands-On
Guide, chapter 5.4.3 (GOSH plot analysis). Chapman & Hall/CRC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evsynth.errors import InputError
from evsynth.stats._linalg import FloatArray
from evsynth.stats.resampling.gosh import GoshResult

ALGORITHMS = ("kmeans", "dbscan", "gmm")


@dataclass(frozen=True, eq=False)
class ClusterFinding:
    """One clustering of the GOSH points and the studies that drive its clusters.

    Attributes
    ----------
    labels : ndarray of int
        Cluster per clustered subset (-1: DBSCAN noise); see ``GoshOutliers.rows``.
    sizes : tuple of int
        Subsets per cluster.
    mean_estimate, mean_I2 : tuple of float
        Cluster centres in the original units.
    inclusion : ndarray
        (clusters, studies): share of the cluster's subsets holding each study.
    drivers : tuple of str
        Studies whose inclusion rate in some cluster differs from their overall rate by at
        least the threshold, largest difference first.
    """

    algorithm: str
    labels: np.ndarray
    sizes: tuple[int, ...]
    mean_estimate: tuple[float, ...]
    mean_I2: tuple[float, ...]
    inclusion: FloatArray
    difference: FloatArray
    drivers: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class GoshOutliers:
    """Cluster analyses of a GOSH result."""

    slab: tuple[str, ...]
    rows: np.ndarray
    threshold: float
    findings: tuple[ClusterFinding, ...]

    @property
    def drivers(self) -> tuple[str, ...]:
        """Studies named by any algorithm, in study order."""
        named = {s for f in self.findings for s in f.drivers}
        return tuple(s for s in self.slab if s in named)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per algorithm, its clusters and the studies driving them."""
        return {
            "threshold": self.threshold,
            "subsets_clustered": int(self.rows.size),
            "drivers": list(self.drivers),
            "algorithms": {
                f.algorithm: {
                    "drivers": list(f.drivers),
                    "clusters": [
                        {
                            "cluster": c,
                            "subsets": f.sizes[c],
                            "mean_estimate": f.mean_estimate[c],
                            "mean_I2": f.mean_I2[c],
                            "inclusion": {
                                s: float(f.inclusion[c, j]) for j, s in enumerate(self.slab)
                            },
                        }
                        for c in range(len(f.sizes))
                    ],
                }
                for f in self.findings
            },
        }

    def summary(self) -> str:
        """One line per algorithm naming the studies that drive its clusters."""
        lines = [f"GOSH cluster analysis ({self.rows.size} subsets; threshold {self.threshold:g})"]
        for f in self.findings:
            named = ", ".join(f.drivers) if f.drivers else "none"
            lines.append(
                f"  {f.algorithm:<7} {len(f.sizes)} clusters; studies driving them: {named}"
            )
        return "\n".join(lines)


def gosh_outliers(
    result: GoshResult,
    *,
    algorithms: tuple[str, ...] = ALGORITHMS,
    clusters: int = 2,
    threshold: float = 0.3,
    eps: float = 0.15,
    min_samples: int = 5,
    max_points: int = 20_000,
    min_share: float = 0.05,
    seed: int = 0,
) -> GoshOutliers:
    """Cluster the GOSH points and name the studies that drive the clusters.

    Parameters
    ----------
    result : GoshResult
        From :func:`evsynth.stats.resampling.gosh.gosh`.
    algorithms : tuple of str
        Any of ``kmeans``, ``dbscan``, ``gmm``.
    clusters : int
        Clusters for k-means and the Gaussian mixture.
    threshold : float
        Smallest difference between a study's inclusion rate in a cluster and overall that
        names it as a driver.
    eps, min_samples : float, int
        DBSCAN's neighbourhood radius (in standard deviations) and core size.
    max_points : int
        Largest number of subsets clustered (a seeded random sample beyond it).
    min_share : float
        Smallest cluster (share of the clustered subsets) whose drivers are named.
    seed : int
        Seed of the sample, of k-means and of the mixture.
    """
    from sklearn.cluster import DBSCAN, KMeans
    from sklearn.mixture import GaussianMixture

    bad = [a for a in algorithms if a not in ALGORITHMS]
    if bad:
        raise InputError(f"Unknown algorithm '{bad[0]}'; expected one of {', '.join(ALGORITHMS)}")
    ok = np.flatnonzero(np.isfinite(result.estimate) & np.isfinite(result.I2))
    if ok.size < max(10, clusters):
        raise InputError("Too few GOSH subsets to look for clusters")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(ok, max_points, replace=False)) if ok.size > max_points else ok
    pts = np.column_stack([result.estimate[rows], result.I2[rows]])
    sd = pts.std(axis=0)
    z = (pts - pts.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    incl = result.incl[rows]
    findings = []
    for algo in algorithms:
        if algo == "kmeans":
            labels = KMeans(n_clusters=clusters, n_init=10, random_state=seed).fit_predict(z)
        elif algo == "gmm":
            labels = GaussianMixture(n_components=clusters, random_state=seed).fit_predict(z)
        else:
            labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(z)
        findings.append(_finding(algo, np.asarray(labels), pts, incl, result, threshold, min_share))
    return GoshOutliers(result.slab, rows, threshold, tuple(findings))


def _finding(
    algo: str,
    labels: np.ndarray,
    pts: FloatArray,
    incl: np.ndarray,
    result: GoshResult,
    threshold: float,
    min_share: float,
) -> ClusterFinding:
    ids = sorted(c for c in set(labels.tolist()) if c >= 0)
    # relabel 0..m-1 (DBSCAN noise stays -1)
    remap = {c: i for i, c in enumerate(ids)}
    lab = np.array([remap.get(c, -1) for c in labels.tolist()], dtype=np.int64)
    m = len(ids)
    inclusion = np.array([incl[lab == c].mean(axis=0) for c in range(m)]).reshape(m, -1)
    # against the cluster's average study, so clusters of small or large subsets flag nothing
    diff = inclusion - inclusion.mean(axis=1, keepdims=True)
    big = np.array([np.sum(lab == c) >= min_share * lab.size for c in range(m)], dtype=bool)
    several = m > 1 and big.sum() > 1
    strength = np.abs(diff[big]).max(axis=0) if several else np.zeros(incl.shape[1])
    order = np.argsort(-strength, kind="stable")
    drivers = tuple(result.slab[j] for j in order if strength[j] >= threshold)
    return ClusterFinding(
        algorithm=algo,
        labels=lab,
        sizes=tuple(int(np.sum(lab == c)) for c in range(m)),
        mean_estimate=tuple(float(pts[lab == c, 0].mean()) for c in range(m)),
        mean_I2=tuple(float(pts[lab == c, 1].mean()) for c in range(m)),
        inclusion=inclusion,
        difference=diff,
        drivers=drivers,
    )
