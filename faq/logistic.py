"""L2-regularised logistic regression by Newton's method, small enough to write out.

The default install has no numpy or scikit-learn, and the problems here are small (tens of thousands of rows,
about twenty features), so a dozen Newton steps in plain Python fit in a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; the systems here are ~10×10."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                if factor:
                    for c in range(col, n + 1):
                        a[r][c] -= factor * a[col][c]
    return [a[i][n] / a[i][i] if abs(a[i][i]) > 1e-12 else 0.0 for i in range(n)]


def fit_logistic(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    l2: float = 1.0,
    iterations: int = 25,
    weights: Sequence[float] | None = None,
) -> tuple[tuple[float, ...], float]:
    """L2-regularised logistic regression by Newton's method (IRLS); returns (weights, bias).

    `weights` (one per row, default 1) make a row count as that many rows: how faq.fitting lets every KB
    weigh the same whatever the number of its labelled messages."""
    dims = len(rows[0]) + 1
    beta = [0.0] * dims
    xs = [[*r, 1.0] for r in rows]
    row_weights = list(weights) if weights is not None else [1.0] * len(xs)
    for _ in range(iterations):
        gradient = [0.0] * dims
        hessian = [[0.0] * dims for _ in range(dims)]
        for x, y, c in zip(xs, labels, row_weights, strict=True):
            z = sum(b * v for b, v in zip(beta, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            w = max(p * (1 - p), 1e-9) * c
            residual = (y - p) * c
            for i in range(dims):
                gradient[i] += residual * x[i]
                xi_w = x[i] * w
                hrow = hessian[i]
                for j in range(i, dims):
                    hrow[j] += xi_w * x[j]
        for i in range(dims):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        for i in range(dims - 1):  # do not shrink the bias
            gradient[i] -= l2 * beta[i]
            hessian[i][i] += l2
        step = _solve(hessian, gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return tuple(beta[:-1]), beta[-1]
