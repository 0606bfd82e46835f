"""2021-22 Q3: the numpy perceptron (3.1a), logistic regression (3.1b) and MLP (3.2b) on Fashion-MNIST.

Each trains for the text's epochs with batch-1 SGD, scores train, validation *and* test accuracy
every epoch (the skeleton's plot shows validation and test per epoch), keeps the best-validation
checkpoint, and records the test accuracy of the final model (``test_accuracy_final``, the
headline here: Q3.1 asks for the performance after the 20 epochs) and of the reloaded best
checkpoint (``test_accuracy_best``) (:mod:`dlhw.experiments.classifier_runs`).
"""

from __future__ import annotations

from dlhw.experiments.classifier_runs import ClassifierSpec, experiment

SPECS = (
    ClassifierSpec("hw2122.q3.1a", "Perceptron on Fashion-MNIST (numpy)", "perceptron", "fashion-mnist",
                   track_test=True),
    ClassifierSpec("hw2122.q3.1b", "Logistic regression, SGD lr 0.001, no regularisation (numpy)",
                   "logistic_regression", "fashion-mnist", hyper={"learning_rate": 0.001, "l2": 0.0},
                   track_test=True),
    ClassifierSpec("hw2122.q3.2b", "MLP, 200 ReLU units, cross-entropy, SGD lr 0.001 (numpy)", "mlp",
                   "fashion-mnist", hyper={"learning_rate": 0.001, "hidden_size": 200}, track_test=True),
)


EXPERIMENTS = [experiment(spec, "hw2122", ("fashion-mnist",)) for spec in SPECS]
