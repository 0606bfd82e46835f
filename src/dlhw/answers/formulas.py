"""The closed forms the written answers state, as plain numpy, so the tests check what the text says.

Each function is named after the claim it implements and cites its answer file. Formulas that
:mod:`dlhw.activations` already provides (softmax and the sparse maps, their Jacobians, the
K = 2 closed forms, the relumax loss) are imported from there, never rewritten.
All functions are pure (no I/O, no RNG) and work in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from dlhw.activations import softmax, softmax_jacobian
from dlhw.errors import ConfigError

Params = Mapping[str, np.ndarray]


# --- hw2122.q1.1: the sigmoid -------------------------------------------------------------------
def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + exp(-z)), elementwise, without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)) (answers/hw2122/q1_1.typ)."""
    s = sigmoid(z)
    return s * (1.0 - s)


# --- hw2122.q1.2: the binary logistic loss ------------------------------------------------------
def binary_logistic_loss(z: np.ndarray, y: int = 1) -> np.ndarray:
    """L(z; y) = -log sigma(y z) = log(1 + exp(-y z)) for y in {-1, +1}, elementwise."""
    if y not in (-1, 1):
        raise ConfigError(f"binary label y must be -1 or +1, got {y!r}; pass the gold label as a sign")
    return np.logaddexp(0.0, -y * np.asarray(z, dtype=np.float64))


def binary_logistic_loss_derivative(z: np.ndarray) -> np.ndarray:
    """L'(z; y=+1) = sigma(z) - 1 = -(1 - sigma(z)) < 0 (answers/hw2122/q1_2.typ)."""
    return sigmoid(z) - 1.0


def binary_logistic_loss_second_derivative(z: np.ndarray) -> np.ndarray:
    """L''(z; y=+1) = sigma(z) (1 - sigma(z)) > 0 (answers/hw2122/q1_2.typ)."""
    return sigmoid_derivative(z)


# --- hw2122.q1.3-1.4: the multinomial logistic loss ---------------------------------------------
def multinomial_logistic_loss(z: np.ndarray, y: int) -> float:
    """L(z; y) = -log softmax(z)_y = logsumexp(z) - z_y for logits ``z`` (K,)."""
    z = np.asarray(z, dtype=np.float64)
    m = np.max(z)
    return float(m + np.log(np.sum(np.exp(z - m))) - z[y])


def multinomial_logistic_gradient(z: np.ndarray, y: int) -> np.ndarray:
    """grad_z L = softmax(z) - e_y, shape (K,) (answers/hw2122/q1_4.typ)."""
    g = np.array(softmax(np.asarray(z, dtype=np.float64)), dtype=np.float64)
    g[y] -= 1.0
    return g


def multinomial_logistic_hessian(z: np.ndarray) -> np.ndarray:
    """Hess_z L = J_softmax(z) = diag(p) - p p^T, shape (K, K), independent of y (q1_4.typ)."""
    return np.asarray(softmax_jacobian(np.asarray(z, dtype=np.float64)), dtype=np.float64)


# --- hw2122.q1.5 and q2.1: linear models are affine in their parameters -------------------------
def linear_model_jacobian(phi: np.ndarray, n_classes: int) -> np.ndarray:
    """The matrix A with z = W phi + b = A theta, theta = (W row by row, b): shape (K, K D + K).

    phi : (D,) features; W : (K, D); b : (K,). z_k = sum_d W[k, d] phi[d] + b[k], and W[k, d] sits at
    position k D + d of theta, so A = [I_K (x) phi^T, I_K] (answers/hw2122/q1_5.typ).
    """
    phi = np.asarray(phi, dtype=np.float64).ravel()
    eye = np.eye(n_classes)
    return np.hstack([np.kron(eye, phi[None, :]), eye])  # (K, K D + K)


def linear_model_param_hessian(phi: np.ndarray, z_hessian: np.ndarray) -> np.ndarray:
    """Hess_theta L(A theta) = A^T Hess_z L A, shape (K D + K, K D + K) (q1_5.typ, q2_1.typ)."""
    z_hessian = np.asarray(z_hessian, dtype=np.float64)
    a = linear_model_jacobian(phi, z_hessian.shape[0])
    return a.T @ z_hessian @ a


def squared_error_loss(z: np.ndarray, y: np.ndarray) -> float:
    """L(z; y) = 1/2 ||z - y||^2."""
    d = np.asarray(z, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return float(0.5 * d @ d)


def squared_error_gradient(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_z L = z - y (answers/hw2122/q2_1.typ)."""
    return np.asarray(z, dtype=np.float64) - np.asarray(y, dtype=np.float64)


def squared_error_hessian(n_outputs: int) -> np.ndarray:
    """Hess_z L = I (answers/hw2122/q2_1.typ)."""
    return np.eye(n_outputs)


def midpoint_gap(f: Callable[[object], float], a: object, b: object,
                 mix: Callable[[object, object], object] | None = None) -> float:
    """(f(a) + f(b)) / 2 - f((a + b) / 2): never negative when f is convex.

    ``mix(a, b)`` forms the midpoint (default ``(a + b) / 2``; pass :func:`mix_params` for dicts).
    """
    mid = (a + b) / 2 if mix is None else mix(a, b)
    return 0.5 * (f(a) + f(b)) - f(mid)


def mix_params(a: Params, b: Params, t: float = 0.5) -> dict[str, np.ndarray]:
    """The convex combination (1 - t) a + t b of two parameter dicts with the same keys."""
    return {k: (1.0 - t) * np.asarray(a[k]) + t * np.asarray(b[k]) for k in a}


# --- hw2122.q1.5: a one-hidden-layer network is not convex in its parameters --------------------
def one_hidden_layer_logits(params: Params, x: np.ndarray) -> np.ndarray:
    """z = W2 relu(W1 x + b1) + b2; W1 (H, D), b1 (H,), W2 (K, H), b2 (K,), x (D,) -> z (K,)."""
    h = np.maximum(params["W1"] @ x + params["b1"], 0.0)  # (H,)
    return params["W2"] @ h + params["b2"]  # (K,)


def permute_hidden_units(params: Params, perm: np.ndarray) -> dict[str, np.ndarray]:
    """The same network with its hidden units relabelled by ``perm``: it computes the same z."""
    return {"W1": params["W1"][perm], "b1": params["b1"][perm],
            "W2": params["W2"][:, perm], "b2": np.array(params["b2"])}


def nonconvex_counterexample(c: float = 2.0) -> tuple[dict, dict, np.ndarray, int]:
    """(theta, theta', x, y) of answers/hw2122/q1_5.typ: two hidden units, one input, K = 2.

    theta has W1 = (1, -1)^T, W2 = [[c, 0], [0, 0]]; theta' swaps the hidden units. Both give
    z = (c, 0) on x = 1, so L = log(1 + e^-c) for y = 0; their midpoint has W1 = 0, hence z = 0
    and L = log 2 > log(1 + e^-c) for every c > 0.
    """
    theta = {"W1": np.array([[1.0], [-1.0]]), "b1": np.zeros(2),
             "W2": np.array([[c, 0.0], [0.0, 0.0]]), "b2": np.zeros(2)}
    return theta, permute_hidden_units(theta, np.array([1, 0])), np.array([1.0]), 0


# --- hw2122.q2.2a: training error of least squares ----------------------------------------------
def least_squares_excess_mse(X: np.ndarray, w: np.ndarray, w_star: np.ndarray) -> float:
    """MSE(w) - MSE(w*) on (X, y) when w* solves the normal equations: (w - w*)^T (X^T X / N) (w - w*).

    X : (N, D); w, w_star : (D,). The identity holds for every y (answers/hw2122/q2_2a.typ).
    """
    d = np.asarray(w, dtype=np.float64) - np.asarray(w_star, dtype=np.float64)
    Xd = np.asarray(X, dtype=np.float64) @ d  # (N,)
    return float(Xd @ Xd / X.shape[0])


# --- hw2122.q3.2a: what a linear-activation MLP computes ----------------------------------------
def collapse_linear_mlp(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                        b2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) with W2 (W1 x + b1) + b2 = W x + b for all x: W = W2 W1, b = W2 b1 + b2 (q3_2a.typ)."""
    return W2 @ W1, W2 @ b1 + b2


def xor_relu_network(X: np.ndarray) -> np.ndarray:
    """f(x) = relu(x1 + x2) - 2 relu(x1 + x2 - 1), two relu units: XOR(x1, x2) on {0, 1}^2.

    X : (N, 2) -> (N,). Hidden layer W1 = [[1, 1], [1, 1]], b1 = (0, -1); output w2 = (1, -2).
    """
    s = np.asarray(X, dtype=np.float64) @ np.ones(2)  # (N,)
    return np.maximum(s, 0.0) - 2.0 * np.maximum(s - 1.0, 0.0)


# --- hw2526.q3.2: the zero-temperature limits ----------------------------------------------------
def top_gap(z: np.ndarray) -> float:
    """delta = z_(1) - z_(2), the largest entry minus the second largest; z : (K,), K >= 2."""
    srt = np.sort(np.asarray(z, dtype=np.float64))[::-1]
    return float(srt[0] - srt[1])


def sparsemax_onehot_temperature(z: np.ndarray) -> float:
    """sparsemax(z / T) = e_k exactly for 0 < T <= delta, and not for T > delta (q3_2.typ)."""
    return top_gap(z)


def relumax_onehot_temperature(z: np.ndarray, b: float) -> float:
    """relumax_b(z / T) = e_k exactly for 0 < T <= delta / b, and not for T > delta / b (q3_2.typ)."""
    return top_gap(z) / b


def softmax_onehot_bound(z: np.ndarray, T: float) -> float:
    """1 - softmax(z / T)_k <= (K - 1) exp(-delta / T), which -> 0 as T -> 0+ (q3_2.typ)."""
    z = np.asarray(z, dtype=np.float64)
    return float((z.size - 1) * np.exp(-top_gap(z) / T))


# --- hw2526.q3.5: the gradient of the relumax loss, entry by entry ------------------------------
def relumax_loss_gradient(z: np.ndarray, i: int, b: float, eps: float) -> np.ndarray:
    """dL/dz for L = -log((relumax_b(z)_i + eps) / (1 + K eps)), in the closed form of q3_5.typ.

    With k = argmax z, S = {j : z_j > z_k - b} (|S| = n), Z = sum_{j in S} (z_j - z_k + b), p the
    relumax output and s the indicator of S: 0 if i is not in S, otherwise
    dL/dz_j = -(delta_ij - p_i s_j - (1 - n p_i) delta_jk) / (Z (p_i + eps)). z : (K,) -> (K,).
    """
    z = np.asarray(z, dtype=np.float64)
    k = int(np.argmax(z))
    a = np.maximum(z - z[k] + b, 0.0)  # (K,) numerators
    s = (a > 0).astype(np.float64)
    if s[i] == 0:
        return np.zeros_like(z)
    Z = a.sum()
    p_i = a[i] / Z
    inner = -p_i * s  # (K,)
    inner[i] += 1.0
    inner[k] -= 1.0 - s.sum() * p_i
    return -inner / (Z * (p_i + eps))


def relumax_loss_minimum(n_classes: int, eps: float) -> float:
    """min_z L = log((1 + K eps) / (1 + eps)) > 0 for K >= 2, reached iff relumax_b(z) = e_i."""
    return float(np.log((1 + n_classes * eps) / (1 + eps)))
