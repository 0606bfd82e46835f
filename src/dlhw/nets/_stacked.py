"""M networks of one shape as stacked tensors: one forward pass computes every member.

Layer ``l`` of member ``m`` is ``weights[l][m]`` (out, in) and ``biases[l][m]`` (out,), the
layout of ``nn.Linear``. The first layer sees the same input rows for every member, so it is a
single matrix product ``X (B, d) @ W (d, M*h)``; later layers are batched products over the
member dimension. Dropout masks come from one :class:`torch.Generator` per member, drawn like
``nn.Dropout`` draws them (``bernoulli_(1 - p)``, scaled by ``1/(1-p)``, layer after layer), so on
the CPU a member's masks are those of the plain loop run with the same dropout seed, whatever
the other members are.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dlhw.errors import ShapeError

ACTIVATION_FNS = {"relu": torch.relu, "tanh": torch.tanh}
EVAL_ELEMENTS = 1 << 24  # activations per forward chunk in evaluation (M * rows * width)


def linears(module: nn.Module) -> list[nn.Linear]:
    """The ``nn.Linear`` layers of a model, in order (what the ensemble stacks)."""
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


class StackedFFN:
    """Members ``0..M-1`` of one architecture; ``dropout`` (M,) per member (0 = no dropout).

    ``activation`` is applied after every layer but the last (``"relu"`` or ``"tanh"``).
    """

    def __init__(self, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor],
                 activation: str, dropout: Sequence[float]) -> None:
        self.weights = [w.detach().clone().requires_grad_(True) for w in weights]
        self.biases = [b.detach().clone().requires_grad_(True) for b in biases]
        self.activation, self.act = activation, ACTIVATION_FNS[activation]
        self.dropout = [float(p) for p in dropout]
        self._mask_rows, self._mask_buffers, self._keep = 0, [], None
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
        """Dropout masks (M, rows, h) per hidden layer, scaled by 1/(1-p); None without dropout.

        Drawn into buffers reused from step to step (rows of members without dropout stay 1);
        the tensors returned are valid until the next call.
        """
        if not any(self.dropout):
            return None
        if self._mask_rows < rows:
            w0 = self.weights[0]
            self._mask_buffers = [torch.ones(self.size, rows, w.shape[1], dtype=w0.dtype, device=w0.device)
                                  for w in self.weights[:-1]]
            self._keep = torch.tensor([1 - p for p in self.dropout], dtype=w0.dtype,
                                      device=w0.device).view(-1, 1, 1)
            self._mask_rows = rows
        out = []
        for buf in self._mask_buffers:
            mask = buf[:, :rows]
            for i, (p, g) in enumerate(zip(self.dropout, generators)):
                if p > 0:
                    mask[i].bernoulli_(1 - p, generator=g)
            out.append(mask.div_(self._keep))  # nn.Dropout's scaling; rows with p = 0 stay 1
        return out

    def forward(self, X: torch.Tensor, masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """X (B, d), the same rows for every member -> scores (M, B, n_classes)."""
        M, B = self.size, X.shape[0]
        w0, b0 = self.weights[0], self.biases[0]
        h = torch.addmm(b0.reshape(-1), X, w0.reshape(-1, w0.shape[-1]).t())  # (B, M*h)
        h = h.view(B, M, w0.shape[1]).transpose(0, 1)  # (M, B, h)
        for layer, (w, b) in enumerate(zip(self.weights[1:], self.biases[1:])):
            h = self.act(h)
            if masks is not None:
                h = h * masks[layer]
            h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
        return h

    def losses(self, X: torch.Tensor, y: torch.Tensor,
               masks: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Mean cross-entropy of each member on the batch (X (B, d), y (B,)) -> (M,)."""
        return _cross_entropy(self.forward(X, masks), y).mean(dim=1)

    @torch.no_grad()
    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean loss (M,) float64, accuracy (M,) float64) of every member on (X (N, d), y (N,))."""
        widest = max(w.shape[1] for w in self.weights)
        rows = max(1, EVAL_ELEMENTS // (self.size * widest))
        loss = torch.zeros(self.size, dtype=torch.float64, device=X.device)
        correct = torch.zeros(self.size, dtype=torch.int64, device=X.device)
        for start in range(0, X.shape[0], rows):
            xb, yb = X[start:start + rows], y[start:start + rows]
            scores = self.forward(xb)
            loss += _cross_entropy(scores, yb).double().sum(dim=1)
            correct += (scores.argmax(dim=-1) == yb).sum(dim=1)
        n = max(X.shape[0], 1)
        return loss / n, correct.double() / n


def _cross_entropy(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of every member on every row: scores (M, B, C), y (B,) -> (M, B).

    ``logsumexp(scores) - scores[y]``: the value of ``F.cross_entropy``, about twice as fast
    (forward and backward) as its log-softmax over many short rows.
    """
    picked = scores.gather(-1, y.expand(scores.shape[0], -1).unsqueeze(-1)).squeeze(-1)
    return torch.logsumexp(scores, dim=-1) - picked
