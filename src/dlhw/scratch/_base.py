"""What every scratch model shares: input checks, the epoch loop and its kernel dispatch, state.

A model defines its parameters (``_params``), one per-example step (``_step``, the update with
the *current* weights) and a batch ``predict``. Everything else, including ``train_epoch``, is
here. A model with a compiled twin binds its own kernel of :mod:`dlhw.scratch._fast` in
``_train_epoch_fast`` (and ``_prepare_fast``); the kernels never import a model.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from dlhw.data.pixels import PixelRows
from dlhw.errors import CheckpointError, ConfigError, ShapeError
from dlhw.validation import check_array, check_choice, check_int, check_labels, check_positive

KERNELS = ("numba", "numpy", "numba32")  # the compute path of the numpy models
DEFAULT_KERNEL = KERNELS[0]


def resolve_kernel(kernel: str | None, backend: str | None = None) -> str:
    """The kernel to use: ``kernel``, else the deprecated ``backend=`` spelling (with a
    DeprecationWarning), else :data:`DEFAULT_KERNEL`; checked against :data:`KERNELS`."""
    if backend is not None:
        warnings.warn("backend= for the numpy models' compute path is deprecated; use kernel= "
                      "(--backend now means only the grid executor, local or ray)", DeprecationWarning,
                      stacklevel=3)
        if kernel is not None and kernel != backend:
            raise ConfigError(f"kernel={kernel!r} and the deprecated backend={backend!r} disagree; "
                              f"pass only kernel=")
        kernel = backend
    kernel = DEFAULT_KERNEL if kernel is None else kernel
    check_choice(kernel, "kernel", KERNELS)
    return kernel


def check_order(order: Any, n: int) -> np.ndarray:
    """``order`` as an int64 index array into ``n`` rows (``None`` means 0..n-1)."""
    if order is None:
        return np.arange(n, dtype=np.int64)
    order = check_array(order, "order", ndim=1, dtype_kind="iu")
    if order.size and (order.min() < 0 or order.max() >= n):
        raise ShapeError(f"order has indices in [{order.min()}, {order.max()}], expected 0..{n - 1}; "
                         f"pass a permutation of the row indices, e.g. rng.permutation(len(X))")
    return order.astype(np.int64, copy=False)


class ScratchModel(ABC):
    """Base of the numpy models.

    Class attributes
    ----------------
    task : ``"classification"`` or ``"regression"``.
    metric : what :meth:`evaluate` returns, ``"accuracy"`` or ``"rmse"``.
    loss_name : what :meth:`train_epoch` returns per example, averaged (``"loss"``; the
        perceptron's is ``"mistakes"``, the fraction of examples that caused an update).
    default_learning_rate : the texts' step size for this model.
    """

    task: ClassVar[str] = "classification"
    metric: ClassVar[str] = "accuracy"
    loss_name: ClassVar[str] = "loss"
    default_learning_rate: ClassVar[float] = 0.001
    _params: ClassVar[tuple[str, ...]] = ()
    n_classes: int | None = None
    n_features: int

    # ---- configuration and state -------------------------------------------------------
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The constructor's arguments (stored beside checkpoints)."""

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters by name (``W`` or ``W1, b1, W2, b2`` ...)."""
        return {k: np.array(getattr(self, k), dtype=np.float64, copy=True) for k in self._params}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace the parameters by (copies of) ``state``; names and shapes must match."""
        missing = set(self._params) - set(state)
        extra = set(state) - set(self._params)
        if missing or extra:
            raise CheckpointError(f"{type(self).__name__} state has keys {sorted(state)}, expected "
                                  f"{list(self._params)}; load a checkpoint of the same model")
        for k in self._params:
            want = np.shape(getattr(self, k))
            got = np.asarray(state[k])
            if got.shape != want:
                raise CheckpointError(f"{type(self).__name__}.{k} has shape {want} but the checkpoint "
                                      f"has {got.shape}; build the model with the checkpoint's config")
        for k in self._params:
            setattr(self, k, np.array(state[k], dtype=np.float64, copy=True))

    def params_finite(self) -> bool:
        """True when no parameter holds NaN or inf (the divergence check)."""
        return all(np.isfinite(getattr(self, k)).all() for k in self._params)

    # ---- input checks -------------------------------------------------------------------
    def _check_X(self, X: Any, keep_codes: bool = False) -> np.ndarray | PixelRows:
        """``X`` (n, n_features) as an ndarray; a :class:`PixelRows` is kept as it is when
        ``keep_codes`` (the compiled paths read its codes, and ``prepared`` work is tied to it)."""
        if keep_codes and isinstance(X, PixelRows):
            if X.shape[1] != self.n_features:
                raise ShapeError(f"X has shape {X.shape}, expected (n, {self.n_features}) (axis 1 "
                                 f"should be {self.n_features})")
            return X
        return check_array(X, "X", ndim=2, dtype_kind="fiu", shape=(None, self.n_features))

    def _check_X_y(self, X: Any, y: Any,
                   keep_codes: bool = False) -> tuple[np.ndarray | PixelRows, np.ndarray]:
        X = self._check_X(X, keep_codes)
        if self.task == "classification":
            y = check_labels(y, self.n_classes)
        else:
            y = check_array(y, "y", ndim=1, dtype_kind="fiu").astype(np.float64, copy=False)
        if len(X) != len(y):
            raise ShapeError(f"X has {len(X)} rows but y has {len(y)}; they must match")
        return X, y

    def _check_example(self, x_i: Any, y_i: Any) -> tuple[np.ndarray, Any]:
        x_i = check_array(x_i, "x_i", ndim=1, dtype_kind="fiu", shape=(self.n_features,))
        if self.task == "classification":
            if isinstance(y_i, (bool, np.bool_)) or not isinstance(y_i, (int, np.integer)) \
                    or not 0 <= y_i < self.n_classes:
                raise ShapeError(f"y_i must be an integer label in 0..{self.n_classes - 1}, got {y_i!r}")
            return x_i, int(y_i)
        return x_i, float(y_i)

    # ---- training ------------------------------------------------------------------------
    def _step(self, x: np.ndarray, y: Any, lr: float) -> float:
        """One SGD step on one example with the current weights; returns its loss (before)."""
        loss, grads = self.loss_and_grads(x, y)
        for k, g in grads.items():
            p = getattr(self, k)
            p -= lr * g  # in place: the parameter arrays keep their identity
        return loss

    def loss_and_grads(self, x_i: np.ndarray, y_i: Any) -> tuple[float, dict[str, np.ndarray]]:
        """The per-example objective and its gradient for every parameter (see each model)."""
        raise ConfigError(f"{type(self).__name__} is trained by mistake-driven updates and has no "
                          f"differentiable loss; use update_weight")

    def update_weight(self, x_i: Any, y_i: Any, learning_rate: float | None = None) -> float:
        """One update on example ``x_i`` (n_features,) with label/target ``y_i``; returns its loss."""
        x_i, y_i = self._check_example(x_i, y_i)
        lr = self._check_lr(learning_rate)
        return self._step(x_i, y_i, lr)

    def update_weights(self, x_i: Any, y_i: Any, learning_rate: float | None = None) -> float:
        """The 2021-22 skeletons' name (``update_weights``) of :meth:`update_weight`: the same step."""
        return self.update_weight(x_i, y_i, learning_rate)

    def _check_lr(self, learning_rate: float | None) -> float:
        lr = self.default_learning_rate if learning_rate is None else learning_rate
        return check_positive(lr, "learning_rate")

    def prepare(self, X: Any, kernel: str | None = None, *, backend: str | None = None) -> Any:
        """Work that :meth:`train_epoch` can reuse on every epoch of one run over ``X`` (or None).

        Pass the result as ``prepared=`` with the same ``X`` object, unmodified (the protocol
        does); e.g. the exact compact encoding of the linear classifiers' inputs.
        """
        kernel = resolve_kernel(kernel, backend)
        return None if kernel == "numpy" else self._prepare_fast(X)

    def train_epoch(self, X: Any, y: Any, learning_rate: float | None = None, order: Any = None,
                    kernel: str | None = None, prepared: Any = None, *, backend: str | None = None) -> float:
        """One pass of batch-1 SGD over the rows ``order`` of ``X`` (n, n_features), ``y`` (n,).

        ``order`` is this epoch's permutation of row indices (default: the given row order).
        Returns the mean per-example ``loss_name`` seen during the pass (each measured just
        before its own update). ``kernel`` picks the compiled ``"numba"`` twin (default; equal
        to the reference to ~1e-13 in float64), the reference ``"numpy"`` loop, or ``"numba32"``
        (compiled, float32 arithmetic: faster for the MLP, float32-accurate); see
        :mod:`dlhw.scratch._fast`. ``prepared`` is :meth:`prepare`'s result for this ``X``.
        """
        kernel = resolve_kernel(kernel, backend)  # backend=: the deprecated spelling
        X, y = self._check_X_y(X, y, keep_codes=kernel != "numpy")
        order = check_order(order, len(X))
        lr = self._check_lr(learning_rate)
        if len(order) == 0:
            return float("nan")
        if kernel == "numpy":
            return self._train_epoch_numpy(np.asarray(X), y, lr, order)
        if not self._kernel_matches_step():
            raise ConfigError(f"{type(self).__name__} changes the per-example step of its compiled "
                              f"epoch; use kernel='numpy' (or bind a kernel in _train_epoch_fast)")
        dtype = np.float32 if kernel == "numba32" else np.float64
        return self._train_epoch_fast(X, np.ascontiguousarray(y), dtype(lr), order, dtype, prepared)

    def _train_epoch_numpy(self, X: np.ndarray, y: np.ndarray, lr: float, order: np.ndarray) -> float:
        """The reference loop: one :meth:`_step` per example, in ``order``."""
        total = 0.0
        for i in order:
            total += self._step(X[i], y[i], lr)
        return total / len(order)

    @classmethod
    def _kernel_matches_step(cls) -> bool:
        """True when the class binding ``_train_epoch_fast`` also defines the step it compiles
        (a subclass that overrides ``_step`` or ``loss_and_grads`` must not run its parent's kernel)."""
        def owner(*names: str) -> type:
            return next(c for c in cls.__mro__ if any(n in vars(c) for n in names))

        return issubclass(owner("_train_epoch_fast"), owner("_step", "loss_and_grads"))

    def _prepare_fast(self, X: np.ndarray) -> Any:
        """What the compiled epoch reuses across a run on ``X`` (None: nothing)."""
        return None

    def _train_epoch_fast(self, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray, dtype: type,
                          prepared: Any) -> float:
        """The compiled twin of :meth:`_train_epoch_numpy` (``order`` int64 and non-empty; ``lr`` of
        ``dtype``, the kernel's arithmetic); updates the parameters in place, returns the mean loss."""
        raise ConfigError(f"no compiled epoch for {type(self).__name__}; use kernel='numpy'")

    # ---- inference -----------------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """Predictions for the rows of ``X`` (n, n_features): labels (n,) or real values (n,)."""
        return self._predict(self._check_X(X))

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for checked rows ``X`` (n, n_features)."""

    def prepare_eval(self, X: Any, reuse: Any = None) -> Any:
        """Work that :meth:`evaluate` can reuse on every epoch for the rows ``X`` (or None).

        Pass the result as ``prepared=`` with the same ``X`` object, unmodified (the protocol
        does, once per split and run): for the classifiers, the exact codes or float32 copy of
        ``X`` that :mod:`dlhw.scratch._eval32` scores with the float64 reference's exact
        decisions. ``reuse`` is :meth:`prepare`'s result when ``X`` is the training split (a
        model may take its encoding instead of making it again).
        """
        return None

    def _predict_prepared(self, prepared: Any) -> np.ndarray:
        """Predictions from :meth:`prepare_eval`'s result, equal to :meth:`_predict`'s."""
        raise NotImplementedError  # only models whose prepare_eval returns something

    def evaluate(self, X: Any, y: Any, prepared: Any = None) -> float:
        """Accuracy (classifiers) or root-mean-squared error (regression) on ``X``, ``y``.

        ``prepared`` is :meth:`prepare_eval`'s result for this ``X`` (same object): faster, and
        the same predictions.
        """
        X, y = self._check_X_y(X, y, keep_codes=True)
        usable = prepared is not None and getattr(prepared, "source", None) is X
        pred = self._predict_prepared(prepared) if usable else self._predict(np.asarray(X))
        if self.task == "classification":
            return float(np.mean(pred == y))
        return float(np.sqrt(np.mean((pred - y) ** 2)))


def compiled():
    """The compiled kernels, :mod:`dlhw.scratch._fast`, imported on first use (numba loads then)."""
    try:
        from dlhw.scratch import _fast
    except ImportError as exc:
        raise ConfigError(f"kernel 'numba' is unavailable ({exc}); use kernel='numpy' or "
                          f"install numba") from None
    return _fast


def check_sizes(n_classes: int | None, n_features: int, hidden_size: int | None = None) -> None:
    """Validate the size arguments every constructor takes."""
    if n_classes is not None:
        check_int(n_classes, "n_classes", minimum=2)
    check_int(n_features, "n_features", minimum=1)
    if hidden_size is not None:
        check_int(hidden_size, "hidden_size", minimum=1)
