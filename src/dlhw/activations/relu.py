"""relu, its derivative, and the optimality certificates of the two projections in q3.1/q3.2.

relu(z) = max(z, 0) is the Euclidean projection onto the non-negative orthant (q3.1), and
sparsemax is the projection onto the simplex. A point y is the projection P_C(z) of z onto a
closed convex set C iff y is in C and <z - y, q - y> <= 0 for every q in C. The two ``*_gap``
functions evaluate that condition in closed form, so the tests (and the written answers) can
check a candidate projection without solving the problem again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.activations._common import FloatArray


def relu(z: Any) -> FloatArray:
    """relu(z) = max(z, 0) elementwise, any shape; a new array (the input is not modified)."""
    return np.maximum(np.asarray(z), 0)


def relu_backward(dout: Any, z: Any) -> FloatArray:
    """Gradient through relu: ``dout * 1[z > 0]`` (the subgradient 0 is used at z = 0)."""
    return np.where(np.asarray(z) > 0, dout, 0)


def orthant_projection_gap(z: Any, y: Any) -> float:
    """How far ``y`` is from being the projection of ``z`` onto {y >= 0} (0 iff it is).

    KKT of min_{y >= 0} ||y - z||^2: y >= 0, z - y <= 0 and (z - y) * y = 0 elementwise. Returns
    the largest violation, max(max(-y), max(z - y), max|(z - y) y|), over all entries.
    """
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    r = z - y
    return float(max(np.max(-y), np.max(r), np.max(np.abs(r * y))))


def simplex_projection_gap(z: Any, p: Any, dim: int = -1) -> float:
    """How far ``p`` is from being the projection of ``z`` onto the simplex (0 iff it is).

    ``z``, ``p`` : same shape, the simplex along ``dim``. Since <z - p, q - p> is linear in q, it
    is enough to test the vertices q = e_j: max_j (z_j - p_j) - <z - p, p> <= 0. Returns the
    largest of that value, the distance of sum(p) from 1 and max(-p) over all slices.
    """
    z, p = np.asarray(z, dtype=np.float64), np.asarray(p, dtype=np.float64)
    r = z - p
    vertex = np.max(r, axis=dim) - np.sum(r * p, axis=dim)
    return float(max(np.max(vertex), np.max(np.abs(p.sum(axis=dim) - 1)), np.max(-p)))
