"""2025-26 Q1.3: numpy MLP, 100 ReLU units with biases, cross-entropy, batch-1 SGD lr 0.001.

20 epochs, init biases 0 and weights ~ N(0.1, 0.1^2); plots of the training loss and of train /
validation accuracy; test accuracy of the best-validation checkpoint.
"""

from __future__ import annotations

from dlhw.experiments.classifier_runs import ClassifierSpec, experiment
from dlhw.experiments.hw2526.q1_linear import DATASETS, DEFAULT_DATASET, pick_dataset

SPEC = ClassifierSpec("hw2526.q1.3", "MLP, 100 ReLU units, SGD lr 0.001, 20 epochs (numpy)", "mlp",
                      DEFAULT_DATASET, hyper={"learning_rate": 0.001, "hidden_size": 100})

EXPERIMENTS = [experiment(SPEC, "hw2526", DATASETS, pick_dataset)]
