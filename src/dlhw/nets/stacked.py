"""M networks of one shape as stacked tensors: one forward and backward pass computes every member.

Layer ``l`` of member ``m`` is ``weights[l][m]`` (out, in) and ``biases[l][m]`` (out,), the
layout of ``nn.Linear``. Activations are kept transposed, (M, units, B): the first layer is a
single matrix product ``W (M*h, d) @ X.T (d, B)`` for every member, later layers are batched
products ``W[m] (out, in) @ A[m] (in, B)``, and the softmax over the classes runs along dim 1
(about 20 times faster on the CPU than along a short last dim). Training computes the
gradients by hand (:meth:`StackedFFN.loss_and_grad`: the chain rule of the same expressions,
no autograd graph) into buffers reused from step to step.

Dropout masks come from one :class:`torch.Generator` per member, drawn like ``nn.Dropout`` draws
them (``bernoulli_(1 - p)`` on a (B, h) tensor, scaled by ``1/(1-p)``, layer after layer), so on
the CPU a member's masks are those of the plain loop run with the same dropout seed, whatever
the other members are.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dlhw.errors import ShapeError

ACTIVATION_FNS = {"relu": torch.relu_, "tanh": torch.tanh_}  # in place: the pre-activations are not kept


def _relu_grad(g: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``g`` where the output ``a`` > 0, else 0 (public ops; what ATen's ``threshold_backward`` does)."""
    return g.masked_fill_(a <= 0, 0.0)


def _tanh_grad(g: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``g * (1 - a^2)`` for the output ``a = tanh(z)`` (public ops; ATen's ``tanh_backward``)."""
    return g.mul_(torch.addcmul(torch.ones_like(a), a, a, value=-1.0))


def aten_activation_grads() -> dict[str, object] | None:
    """ATen's fused backward ops (one kernel, no temporary) when this torch has them and they give
    the public formulas' numbers on a probe; else None (the public ops are used)."""
    ops = getattr(torch.ops, "aten", None)
    try:
        grads = {"relu": lambda g, a: ops.threshold_backward(g, a, 0.0), "tanh": ops.tanh_backward}
        g, a = torch.linspace(-2, 2, 9), torch.linspace(-0.9, 0.9, 9)
        if all(torch.equal(grads[k](g, a), public(g.clone(), a)) for k, public in PUBLIC_GRADS.items()):
            return grads
    except (AttributeError, RuntimeError, TypeError):
        pass
    return None


PUBLIC_GRADS = {"relu": _relu_grad, "tanh": _tanh_grad}  # (gradient wrt the output, output) -> wrt input
ACTIVATION_GRADS = aten_activation_grads() or PUBLIC_GRADS
EVAL_ELEMENTS = 1 << 24  # activations per forward chunk in evaluation (M * rows * width)


def linears(module: nn.Module) -> list[nn.Linear]:
    """The ``nn.Linear`` layers of a model, in order (what the ensemble stacks)."""
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


class StackedFFN:
    """Members ``0..M-1`` of one architecture; ``dropout`` (M,) per member (0 = no dropout).

    ``activation`` is applied after every layer but the last (``"relu"`` or ``"tanh"``).
    ``grads`` holds the gradients of the last :meth:`loss_and_grad`, in :meth:`parameters` order.
    """

    def __init__(self, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor],
                 activation: str, dropout: Sequence[float]) -> None:
        self.weights = [w.detach().clone() for w in weights]
        self.biases = [b.detach().clone() for b in biases]
        self.activation, self.act = activation, ACTIVATION_FNS[activation]
        self.act_grad = ACTIVATION_GRADS[activation]
        self.dropout = [float(p) for p in dropout]
        self.grads = [torch.zeros_like(p) for p in self.parameters()]
        self._mask_rows, self._mask_buffers, self._masks_t, self._draws, self._keep = 0, [], [], [], None
        self._minus_one = torch.empty(0)
        if any(w.shape[0] != len(self.dropout) for w in self.weights):
            raise ShapeError(f"stacked weights have {self.weights[0].shape[0]} members, dropout "
                             f"{len(self.dropout)}; give one dropout probability per member")

    @classmethod
    def from_modules(cls, modules: Sequence[nn.Module], activation: str,
                     dropout: Sequence[float]) -> StackedFFN:
        """Stack the ``nn.Linear`` layers of same-shape models (copies, on their device)."""
        layers = [linears(m) for m in modules]
        shapes = {tuple(tuple(lin.weight.shape) for lin in ls) for ls in layers}
        if len(shapes) != 1:
            raise ShapeError(f"ensemble members differ in shape {sorted(shapes)}; group models "
                             f"by width, depth and activation")
        weights = [torch.stack([ls[k].weight.detach() for ls in layers]) for k in range(len(layers[0]))]
        biases = [torch.stack([ls[k].bias.detach() for ls in layers]) for k in range(len(layers[0]))]
        return cls(weights, biases, activation, dropout)

    @property
    def size(self) -> int:
        return len(self.dropout)

    def parameters(self) -> list[torch.Tensor]:
        """``[W0, b0, W1, b1, ...]``: the order of ``module.parameters()`` of each member."""
        return [t for pair in zip(self.weights, self.biases) for t in pair]

    @torch.no_grad()
    def copy_to(self, i: int, module: nn.Module) -> nn.Module:
        """Write member ``i``'s weights into ``module`` (a model of the same shape)."""
        for lin, w, b in zip(linears(module), self.weights, self.biases):
            lin.weight.copy_(w[i])
            lin.bias.copy_(b[i])
        return module

    def select(self, keep: torch.Tensor) -> StackedFFN:
        """The members ``keep`` (indices (K,)), as a new stacked model."""
        idx = keep.tolist()
        return StackedFFN([w[keep] for w in self.weights], [b[keep] for b in self.biases],
                          self.activation, [self.dropout[i] for i in idx])

    def masks(self, generators: Sequence[torch.Generator], rows: int) -> list[torch.Tensor] | None:
        """Dropout masks (M, h, rows) per hidden layer, scaled by 1/(1-p); None without dropout.

        Member ``i``'s mask is drawn as a (rows, h) tensor (the plain loop's order: drawing into
        a transposed view gives other values), then transposed and scaled; members without
        dropout get ones. Buffers are reused: the tensors returned are valid until the next call.
        """
        if not any(self.dropout):
            return None
        if self._mask_rows != rows:
            w0 = self.weights[0]
            self._mask_buffers = [torch.ones(self.size, rows, w.shape[1], dtype=w0.dtype, device=w0.device)
                                  for w in self.weights[:-1]]
            self._masks_t = [torch.empty_like(b).transpose(1, 2).contiguous() for b in self._mask_buffers]
            self._keep = torch.tensor([1 - p for p in self.dropout], dtype=w0.dtype,
                                      device=w0.device).view(-1, 1, 1)
            self._draws = [[(i, buf[i], 1 - p) for i, p in enumerate(self.dropout) if p > 0]
                           for buf in self._mask_buffers]  # (member, its (rows, h) view, keep)
            self._mask_rows = rows
        for draws, buf, out in zip(self._draws, self._mask_buffers, self._masks_t):
            for i, view, keep in draws:
                view.bernoulli_(keep, generator=generators[i])
            torch.div(buf.transpose(1, 2), self._keep, out=out)  # nn.Dropout's scaling; p = 0 stays 1
        return self._masks_t

    def _forward_t(self, X: torch.Tensor, masks: list[torch.Tensor] | None,
                   keep: list[tuple[torch.Tensor, torch.Tensor]] | None = None) -> torch.Tensor:
        """X (B, d) -> scores (M, n_classes, B); ``keep`` collects (activation, layer input) pairs."""
        M, B = self.size, X.shape[0]
        w0, b0 = self.weights[0], self.biases[0]
        z = torch.addmm(b0.view(-1, 1), w0.view(-1, w0.shape[-1]), X.t()).view(M, -1, B)
        for layer, (w, b) in enumerate(zip(self.weights[1:], self.biases[1:])):
            a = self.act(z)
            h = a if masks is None else a * masks[layer]
            if keep is not None:
                keep.append((a, h))
            z = torch.baddbmm(b.unsqueeze(-1), w, h)
        return z

    @torch.no_grad()
    def forward(self, X: torch.Tensor, masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """X (B, d), the same rows for every member -> scores (M, B, n_classes) (a view)."""
        return self._forward_t(X, masks).transpose(1, 2)

    @torch.no_grad()
    def loss_and_grad(self, X: torch.Tensor, y: torch.Tensor,
                      masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Mean cross-entropy of each member on the batch (X (B, d), y (B,)) -> (M,).

        The gradient of each member's loss wrt its parameters goes into :attr:`grads`
        (overwritten): the chain rule through the layers, by hand.
        """
        keep: list[tuple[torch.Tensor, torch.Tensor]] = []
        logp = torch.log_softmax(self._forward_t(X, masks, keep), dim=1)  # (M, K, B)
        target = y.view(1, 1, -1).expand(self.size, 1, -1)
        losses = torch.mean(logp.gather(1, target), dim=(1, 2)).neg_()
        if self._minus_one.shape != target.shape:
            self._minus_one = torch.full(target.shape, -1.0, dtype=logp.dtype, device=logp.device)
        dz = logp.exp_().scatter_add_(1, target, self._minus_one).div_(X.shape[0])  # (softmax - onehot) / B
        self._backward(X, dz, keep, masks)
        return losses

    def _backward(self, X: torch.Tensor, dz: torch.Tensor, keep: list[tuple[torch.Tensor, torch.Tensor]],
                  masks: list[torch.Tensor] | None) -> None:
        """Gradients from ``dz`` (M, K, B), the loss's gradient wrt the scores, into :attr:`grads`."""
        for layer in range(len(self.weights) - 1, 0, -1):
            a, h = keep[layer - 1]
            torch.bmm(dz, h.transpose(1, 2), out=self.grads[2 * layer])  # (M, out, in)
            torch.sum(dz, dim=2, out=self.grads[2 * layer + 1])
            dh = torch.bmm(self.weights[layer].transpose(1, 2), dz)  # (M, in, B)
            if masks is not None:
                dh.mul_(masks[layer - 1])
            dz = self.act_grad(dh, a)
        gw = self.grads[0]
        torch.mm(dz.reshape(-1, X.shape[0]), X, out=gw.view(-1, gw.shape[-1]))
        torch.sum(dz, dim=2, out=self.grads[1])

    @torch.no_grad()
    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean loss (M,) float64, accuracy (M,) float64) of every member on (X (N, d), y (N,))."""
        widest = max(w.shape[1] for w in self.weights)
        rows = max(1, EVAL_ELEMENTS // (self.size * widest))
        loss = torch.zeros(self.size, dtype=torch.float64, device=X.device)
        correct = torch.zeros(self.size, dtype=torch.int64, device=X.device)
        for start in range(0, X.shape[0], rows):
            xb, yb = X[start:start + rows], y[start:start + rows]
            scores = self._forward_t(xb, None)  # (M, K, b)
            target = yb.view(1, 1, -1).expand(self.size, 1, -1)
            loss -= torch.log_softmax(scores, dim=1).gather(1, target).double().sum(dim=(1, 2))
            correct += (scores.argmax(dim=1) == yb).sum(dim=1)
        n = max(X.shape[0], 1)
        return loss / n, correct.double() / n
