"""What each homework's report contains, in the order of the homework text.

An :class:`Outline` is a list of :class:`Part` (the text's questions), each a list of
:class:`Section` (its numbered items): the mission id (``shared/docs/mission.md``), a heading, a
one-paragraph summary of what the text asks, the experiment ids whose stored results the section
shows, which of their outputs (:class:`View`), and the key of its written answer
(``src/dlhw/answers/<homework>/<answer>.typ`` and ``DISCUSSIONS[mission_id]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlhw.answers import answer_key
from dlhw.errors import ConfigError


@dataclass(frozen=True)
class View:
    """The outputs of a run that a section shows, by name; ``None`` shows all of that kind."""

    figures: tuple[str, ...] | None = None
    tables: tuple[str, ...] | None = None
    metrics: tuple[str, ...] | None = None


ALL = View()


@dataclass(frozen=True)
class Section:
    """One numbered item of a homework text (see the module docstring)."""

    mission_id: str
    heading: str
    question: str
    experiments: tuple[str, ...] = ()
    answer: str = ""
    view: View = ALL


@dataclass(frozen=True)
class Part:
    """One question of the text: its number, title and sections."""

    number: int
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Outline:
    """A homework's report: title, default data set of its classification parts, parts."""

    homework: str
    title: str
    authors: str
    default_dataset: str
    parts: tuple[Part, ...] = field(default_factory=tuple)

    def sections(self) -> list[Section]:
        """Every section, in order."""
        return [s for p in self.parts for s in p.sections]


def _s(mid: str, heading: str, question: str, experiments: tuple[str, ...] = (),
       view: View = ALL) -> Section:
    return Section(mid, heading, question, experiments, answer_key(mid), view)


def _exp(mid: str) -> tuple[str, ...]:
    return (mid,)


_BEST_CURVES = View(figures=("best_curves",), tables=(),
                    metrics=("best_config", "best_dev_accuracy", "best_epoch", "test_accuracy_best"))

HW2526 = Outline(
    homework="hw2526",
    title="Deep Learning (IST, 2025-26), Homework 1",
    authors="Text by Ben Peters, Raul Monteiro, Beatriz Canaverde, André Martins",
    default_dataset="emnist-letters",
    parts=(
        Part(1, "Handwritten letter classification with linear classifiers and neural networks", (
            _s("hw2526.q1.1", "Perceptron", "Multi-class perceptron trained for 20 epochs; train and "
               "validation accuracy per epoch; test accuracy of the best-validation checkpoint.",
               _exp("hw2526.q1.1")),
            _s("hw2526.q1.2a", "Logistic regression", "L2-regularised logistic regression by batch-1 SGD "
               "(learning rate 0.0001, L2 penalty 0.00001), 20 epochs; same plots, checkpoint and "
               "test protocol.", _exp("hw2526.q1.2a")),
            _s("hw2526.q1.2b", "A better feature representation", "A feature representation other than "
               "the raw pixels, implemented with numpy only; why it is good, with references.",
               _exp("hw2526.q1.2b")),
            _s("hw2526.q1.2c", "Grid search", "3 learning rates x 2 L2 penalties x {raw pixels, the new "
               "features} = 12 configurations, 20 epochs each; validation accuracy of every "
               "configuration, test accuracy of the best.", _exp("hw2526.q1.2c")),
            _s("hw2526.q1.3", "Multi-layer perceptron", "One hidden layer of 100 ReLU units, "
               "cross-entropy, hand-written backpropagation, batch-1 SGD with learning rate 0.001, "
               "20 epochs; training loss and accuracy plots; test accuracy of the best checkpoint.",
               _exp("hw2526.q1.3")),
        )),
        Part(2, "Feedforward networks in PyTorch", (
            _s("hw2526.q2.1", "Implementation warm-up", "hw1-ffn.py: multi-layer FFN, train_batch, "
               "predict, evaluate, SGD or Adam with weight decay."),
            _s("hw2526.q2.2a", "Width: grid of 80 configurations", "One hidden layer of width "
               "16 to 256 x 4 learning rates x {no dropout, dropout} x {no L2, L2}, batch 64, 30 "
               "epochs; best validation accuracy of every configuration, the best per width "
               "highlighted; how accuracy changes with width.", _exp("hw2526.q2.2a"),
               View(figures=(), tables=("grid", "per_width"),
                    metrics=("best_width", "best_dev_accuracy"))),
            _s("hw2526.q2.2b", "Width: the best model", "Training loss and validation accuracy of the "
               "best of the 80 models; convergence, under- or over-fitting; its test accuracy.",
               _exp("hw2526.q2.2a"), _BEST_CURVES),
            _s("hw2526.q2.2c", "Width: training accuracy", "Final training accuracy of the best model "
               "of each width against the width; convergence, the Universal Approximation Theorem, "
               "an infinitely wide layer.", _exp("hw2526.q2.2a"),
               View(figures=("train_accuracy_vs_width",), tables=(), metrics=())),
            _s("hw2526.q2.3a", "Depth: 1 to 9 hidden layers", "32 units per layer, L in {1, 3, 5, 7, 9}, "
               "the best 32-unit hyperparameters of q2.2a, 30 epochs, batch 64; best validation "
               "accuracy per depth.", _exp("hw2526.q2.3a"),
               View(figures=(), tables=("per_depth",), metrics=("best_depth", "best_dev_accuracy"))),
            _s("hw2526.q2.3b", "Depth: the best model", "Training loss and validation accuracy of the "
               "best depth; convergence and fit; its test accuracy.", _exp("hw2526.q2.3a"),
               View(figures=("best_curves",), tables=(),
                    metrics=("best_depth", "best_epoch", "test_accuracy_best"))),
            _s("hw2526.q2.3c", "Depth: training accuracy", "Final-epoch training accuracy against "
               "depth; the capacity to interpolate, and the difficulties of deeper networks.",
               _exp("hw2526.q2.3a"), View(figures=("train_accuracy_vs_depth",), tables=(), metrics=())),
        )),
        Part(3, "Normalized relu and sparse alternatives to softmax", (
            _s("hw2526.q3.1", "relu is a projection", "relu(z) is the Euclidean projection of z onto "
               "the non-negative orthant."),
            _s("hw2526.q3.2", "Shift invariance, zero temperature, sparsemax as relumax", "Softmax, "
               "sparsemax and relumax_b ignore a constant added to z and tend to one-hot as the "
               "temperature goes to 0; for every z some b gives relumax_b(z) = sparsemax(z)."),
            _s("hw2526.q3.3", "K = 2 in closed form", "softmax, sparsemax and relumax_b of z = [0, t] "
               "and their derivatives in t, in closed form and plotted.", _exp("hw2526.q3.3")),
            _s("hw2526.q3.4", "The Jacobian of relumax", "The Jacobian of relumax_b for general K "
               "(distinct entries)."),
            _s("hw2526.q3.5", "A loss for sparse outputs", "Why -log of a sparse output is a bad loss; "
               "the gradient of -log((relumax_b(z)_i + eps) / (1 + K eps))."),
        )),
    ),
)

HW2122 = Outline(
    homework="hw2122",
    title="Deep Learning (IST, 2021-22), Homework 1",
    authors="Text by André Martins, Francisco Melo, Ben Peters",
    default_dataset="fashion-mnist",
    parts=(
        Part(1, "Convexity of the logistic losses (hw2122.q1.1-1.5)", (
            _s("hw2122.q1.1", "Derivative of the sigmoid", "Show that sigma'(z) = sigma(z)(1 - sigma(z))."),
            _s("hw2122.q1.2", "Binary logistic loss", "First and second derivatives of the binary "
               "logistic loss for y = +1; its convexity in z."),
            _s("hw2122.q1.3", "Jacobian of softmax", "The K x K Jacobian of the softmax transformation."),
            _s("hw2122.q1.4", "Multinomial logistic loss", "Gradient and Hessian of -log softmax(z)_j; "
               "convexity in z."),
            _s("hw2122.q1.5", "Convexity in the parameters", "Convexity in (W, b) of a linear model's "
               "loss, and why not in general."),
        )),
        Part(2, "Regression of house prices (Ames)", (
            _s("hw2122.q2.1", "Convexity of the squared error", "The squared error is convex in (W, b)."),
            _s("hw2122.q2.2a", "Linear regression", "Batch-1 SGD with learning rate 0.001 for 150 epochs; "
               "train and test RMSE per epoch; the analytic solution and the distance of the SGD "
               "weights to it per epoch; the train/test gap.", _exp("hw2122.q2.2a")),
            _s("hw2122.q2.2b", "Neural regression", "One hidden layer of 150 ReLU units, squared error, "
               "batch-1 SGD with learning rate 0.001, 150 epochs; train and test RMSE per epoch; "
               "comparison with the linear model.", _exp("hw2122.q2.2b")),
        )),
        Part(3, "Image classification with linear classifiers and neural networks", (
            _s("hw2122.q3.1a", "Perceptron", "20 epochs of the perceptron; validation and test "
               "accuracy; accuracy per epoch.", _exp("hw2122.q3.1a")),
            _s("hw2122.q3.1b", "Logistic regression", "No regularisation, batch-1 SGD with learning "
               "rate 0.001; the same outputs.", _exp("hw2122.q3.1b")),
            _s("hw2122.q3.2a", "Why hidden layers help", "Why an MLP with non-linear activations is more "
               "expressive than the perceptron, and the case of linear activations."),
            _s("hw2122.q3.2b", "Multi-layer perceptron", "One hidden layer of 200 ReLU units, "
               "cross-entropy, batch-1 SGD with learning rate 0.001, the specified initialisation.",
               _exp("hw2122.q3.2b")),
        )),
        Part(4, "Image classification with an autodiff toolkit", (
            _s("hw2122.q4.1", "Logistic regression in PyTorch", "Batch 1, 20 epochs, learning rate tuned "
               "over {0.001, 0.01, 0.1} on validation; training loss and validation accuracy of the "
               "best; its test accuracy.", _exp("hw2122.q4.1")),
            _s("hw2122.q4.2", "Feedforward network with dropout", "Defaults of Table 1, one "
               "hyperparameter tuned at a time (learning rate, hidden size, dropout, activation, "
               "optimiser); the best configuration, its plots and test accuracy.", _exp("hw2122.q4.2")),
            _s("hw2122.q4.3", "Two and three hidden layers", "The defaults with 2 and 3 hidden layers; "
               "the best configuration, its plots and test accuracy.", _exp("hw2122.q4.3")),
        )),
    ),
)

OUTLINES: dict[str, Outline] = {o.homework: o for o in (HW2526, HW2122)}


def get_outline(homework: str) -> Outline:
    """The outline of ``homework`` (``"hw2122"`` or ``"hw2526"``)."""
    try:
        return OUTLINES[homework]
    except KeyError:
        raise ConfigError(f"unknown homework {homework!r}; choose hw2122, hw2526 or all") from None
