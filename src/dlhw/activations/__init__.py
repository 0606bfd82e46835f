"""Softmax and its sparse alternatives (hw2526.q3), in numpy, each beside its derivative.

Maps (any batch shape, classes along ``dim``, default -1):

* :func:`softmax` (:func:`softmax_jacobian`, :func:`softmax_vjp`, :func:`log_softmax`)
* :func:`sparsemax`, the Euclidean projection onto the simplex, with its exact sort threshold
  :func:`sparsemax_threshold_sort` and the bisection :func:`sparsemax_threshold_bisect`
  (:func:`sparsemax_jacobian`, :func:`sparsemax_vjp`)
* :func:`relumax` (relumax_b) (:func:`relumax_jacobian`, :func:`relumax_vjp`) and
  :func:`relumax_b_for_sparsemax`, the b with relumax_b(z) = sparsemax(z)
* :func:`relu` (:func:`relu_backward`) and the projection certificates
  :func:`orthant_projection_gap`, :func:`simplex_projection_gap`
* losses: :func:`cross_entropy` / :func:`cross_entropy_grad` and the q3.5 loss
  :func:`relumax_loss` / :func:`relumax_loss_grad`

The K = 2 closed forms of q3.3 live in :mod:`dlhw.activations.k2`; the PyTorch autograd
Functions in :mod:`dlhw.activations.torch` (imported on demand, so numpy users need no torch).
Everything here is pure: no I/O, no randomness, inputs never modified.

Where each claim of hw2526.q3 is checked numerically (tests/activations/):

* q3.1 relu is the orthant projection: ``test_relu_is_the_projection_onto_the_orthant``
* q3.2 shift invariance, T -> 0+ limits, b = max(z) - tau: ``test_invariant_to_adding_a_constant``,
  ``test_zero_temperature_limit_is_one_hot``, ``test_relumax_at_the_proof_b_equals_sparsemax``;
  sparsemax is the projection: ``test_sparsemax_is_the_euclidean_projection``
* q3.3 K = 2 closed forms: ``test_activation_k2.py`` and the experiment ``hw2526.q3.3``
* q3.4 relumax Jacobian: ``test_relumax_jacobian_matches_finite_differences``
* q3.5 loss gradient: ``test_relumax_loss_grad_matches_finite_differences``
"""

from dlhw.activations.losses import cross_entropy, cross_entropy_grad, relumax_loss, relumax_loss_grad
from dlhw.activations.relu import orthant_projection_gap, relu, relu_backward, simplex_projection_gap
from dlhw.activations.relumax import relumax, relumax_b_for_sparsemax, relumax_jacobian, relumax_vjp
from dlhw.activations.softmax import log_softmax, softmax, softmax_jacobian, softmax_vjp
from dlhw.activations.sparsemax import (
    sparsemax,
    sparsemax_jacobian,
    sparsemax_threshold_bisect,
    sparsemax_threshold_sort,
    sparsemax_vjp,
)

__all__ = [
    "cross_entropy", "cross_entropy_grad", "log_softmax", "orthant_projection_gap", "relu",
    "relu_backward", "relumax", "relumax_b_for_sparsemax", "relumax_jacobian", "relumax_loss",
    "relumax_loss_grad", "relumax_vjp", "simplex_projection_gap", "softmax", "softmax_jacobian",
    "softmax_vjp", "sparsemax", "sparsemax_jacobian", "sparsemax_threshold_bisect",
    "sparsemax_threshold_sort", "sparsemax_vjp",
]
