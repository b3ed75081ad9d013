"""Monte Carlo for several output quantities (多输出量蒙特卡洛, JCGM 102 §7).

Propagates the input PDFs through a model with m outputs and returns the estimates, the
covariance matrix and the correlation matrix of the outputs. Same streams, threads and
chunking as :func:`~.mcm.mcm`; the covariance is combined chunk by chunk (pairwise update of the
co-moment matrix), so memory does not grow with the number of trials.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import LimitError, UncertaintyError
from .inputs import Correlations, Input, InputSet
from .mcm import _Runner
from .model import Model

__all__ = ["MultiMCMResult", "mcm_multivariate"]


@dataclass
class MultiMCMResult:
    """Estimates y (m,), covariance U_y (m, m) of the outputs, from ``trials`` trials."""

    names: list[str]
    y: np.ndarray
    covariance: np.ndarray
    trials: int
    seed: int | None
    seconds: float

    @property
    def u(self) -> np.ndarray:
        """Standard uncertainties u(y_j) = √U_jj."""
        return np.sqrt(np.diag(self.covariance))

    @property
    def correlation(self) -> np.ndarray:
        s = self.u
        with np.errstate(invalid="ignore", divide="ignore"):
            r = self.covariance / np.outer(s, s)
        r[~np.isfinite(r)] = 0.0
        np.fill_diagonal(r, 1.0)
        return r

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "y": self.y.tolist(),
            "u": self.u.tolist(),
            "covariance": self.covariance.tolist(),
            "correlation": self.correlation.tolist(),
            "trials": self.trials,
            "seed": self.seed,
            "seconds": self.seconds,
        }


def _comoments(y: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    mean = y.mean(axis=1)
    d = y - mean[:, None]
    return y.shape[1], mean, d @ d.T


def mcm_multivariate(
    model: Callable[..., Any] | str | Model,
    inputs: Sequence[Input] | InputSet,
    correlations: Any = None,
    *,
    trials: int = 10**6,
    seed: int | None = None,
    workers: int | None = None,
    chunk_size: int = 1 << 15,
    max_trials: int = 10**8,
    vector: bool = False,
    constants: dict[str, float] | None = None,
) -> MultiMCMResult:
    """Estimates and covariance matrix of all model outputs by Monte Carlo (JCGM 102 §7.5)."""
    t0 = time.perf_counter()
    inputs = InputSet.of(inputs)
    corr = Correlations.from_any(correlations)
    if corr.pairs or corr.ensembles:
        corr = corr.validated(inputs.names)
    mdl = Model.of(model, inputs.names, vector=vector, constants=constants)
    trials = int(trials)
    if trials < 2:
        raise UncertaintyError("trials must be ≥ 2")
    if trials > max_trials:
        raise LimitError(f"trials = {trials} exceeds the limit of {max_trials}")
    runner = _Runner(mdl, inputs, corr, None)
    sizes = [chunk_size] * (trials // chunk_size)
    if trials % chunk_size:
        sizes.append(trials % chunk_size)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    workers = workers or min(os.cpu_count() or 1, 8)
    n, mean, m2 = 0, None, None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # pool.map yields in submission order, so the reduction order is fixed
        results = pool.map(lambda a: _comoments(runner.run(*a)), zip(seeds, sizes, strict=True))
        for nb, mb, m2b in results:
            if mean is None:
                n, mean, m2 = nb, mb, m2b
                continue
            delta = mb - mean
            tot = n + nb
            mean = mean + delta * nb / tot
            m2 = m2 + m2b + np.outer(delta, delta) * n * nb / tot
            n = tot
    cov = m2 / (n - 1)
    names = mdl.output_names or [f"y{i + 1}" for i in range(len(mean))]
    return MultiMCMResult(list(names), mean, cov, n, seed, time.perf_counter() - t0)
