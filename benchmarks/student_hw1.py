#!/usr/bin/env python
"""A plain student solution of the 2021-22 HW1 (Q2 and Q3), the yardstick of whole_process.py.

Written the way the course's skeleton is filled in: numpy only, one example at a time in a
Python loop, predictions as one matrix product, dev and test accuracy after every epoch, a
pyplot figure at the end. Same data and split as dlhw (Fashion-MNIST: pixels / 256, the
course's RandomState(42) split; Ames: the course's ames.npz), same epochs and learning rates.
It does not import dlhw.

    python benchmarks/student_hw1.py perceptron|logistic_regression|mlp|linear_regression|nn
        [-epochs N] [-data_path DIR] [-out DIR]
"""

import argparse
import gzip
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def load_fashion(folder):
    def read(name, offset):
        with gzip.open(os.path.join(folder, name + ".gz"), "rb") as fh:
            return np.frombuffer(fh.read(), dtype=np.uint8, offset=offset)

    X = read("train-images-idx3-ubyte", 16).reshape(-1, 784) / 256.0
    y = read("train-labels-idx1-ubyte", 8).astype(int)
    test_X = read("t10k-images-idx3-ubyte", 16).reshape(-1, 784) / 256.0
    test_y = read("t10k-labels-idx1-ubyte", 8).astype(int)
    perm = np.random.RandomState(42).permutation(len(X))
    dev, train = perm[:10000], perm[10000:]
    return (X[train], y[train]), (X[dev], y[dev]), (test_X, test_y)


def add_bias(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


class LinearModel:
    def __init__(self, n_classes, n_features):
        self.W = np.zeros((n_classes, n_features))

    def train_epoch(self, X, y, **kwargs):
        for x_i, y_i in zip(X, y):
            self.update_weight(x_i, y_i, **kwargs)

    def predict(self, X):
        return np.dot(self.W, X.T).argmax(axis=0)

    def evaluate(self, X, y):
        return (self.predict(X) == y).sum() / y.shape[0]


class Perceptron(LinearModel):
    def update_weight(self, x_i, y_i, **kwargs):
        y_hat = np.argmax(self.W.dot(x_i))
        if y_hat != y_i:
            self.W[y_i] += x_i
            self.W[y_hat] -= x_i


class LogisticRegression(LinearModel):
    def update_weight(self, x_i, y_i, learning_rate=0.001):
        scores = self.W.dot(x_i)
        scores -= scores.max()
        probs = np.exp(scores) / np.exp(scores).sum()
        one_hot = np.zeros(self.W.shape[0])
        one_hot[y_i] = 1
        self.W += learning_rate * np.outer(one_hot - probs, x_i)


class MLP:
    def __init__(self, n_classes, n_features, hidden_size):
        self.W1 = np.random.normal(0.1, 0.1, size=(hidden_size, n_features))
        self.b1 = np.zeros(hidden_size)
        self.W2 = np.random.normal(0.1, 0.1, size=(n_classes, hidden_size))
        self.b2 = np.zeros(n_classes)

    def predict(self, X):
        H = np.maximum(X.dot(self.W1.T) + self.b1, 0)
        return (H.dot(self.W2.T) + self.b2).argmax(axis=1)

    def evaluate(self, X, y):
        return (self.predict(X) == y).sum() / y.shape[0]

    def train_epoch(self, X, y, learning_rate=0.001):
        for x_i, y_i in zip(X, y):
            z1 = self.W1.dot(x_i) + self.b1
            h1 = np.maximum(z1, 0)
            z2 = self.W2.dot(h1) + self.b2
            z2 -= z2.max()
            probs = np.exp(z2) / np.exp(z2).sum()
            grad_z2 = probs.copy()
            grad_z2[y_i] -= 1
            grad_h1 = self.W2.T.dot(grad_z2)
            grad_z1 = grad_h1 * (z1 > 0)
            self.W2 -= learning_rate * np.outer(grad_z2, h1)
            self.b2 -= learning_rate * grad_z2
            self.W1 -= learning_rate * np.outer(grad_z1, x_i)
            self.b1 -= learning_rate * grad_z1


class LinearRegression:
    def __init__(self, n_features):
        self.w = np.zeros(n_features)

    def train_epoch(self, X, y, learning_rate=0.001):
        for x_i, y_i in zip(X, y):
            y_hat = self.w.dot(x_i)
            self.w += learning_rate * (y_i - y_hat) * x_i

    def predict(self, X):
        return X.dot(self.w)

    def evaluate(self, X, y):
        return np.sqrt(np.mean((self.predict(X) - y) ** 2))


class NeuralRegression:
    def __init__(self, n_features, hidden_size):
        self.W1 = np.random.normal(0.1, 0.1, size=(hidden_size, n_features))
        self.b1 = np.zeros(hidden_size)
        self.w2 = np.random.normal(0.1, 0.1, size=hidden_size)
        self.b2 = 0.0

    def train_epoch(self, X, y, learning_rate=0.001):
        for x_i, y_i in zip(X, y):
            z1 = self.W1.dot(x_i) + self.b1
            h1 = np.maximum(z1, 0)
            y_hat = self.w2.dot(h1) + self.b2
            d = y_hat - y_i
            grad_z1 = d * self.w2 * (z1 > 0)
            self.w2 -= learning_rate * d * h1
            self.b2 -= learning_rate * d
            self.W1 -= learning_rate * np.outer(grad_z1, x_i)
            self.b1 -= learning_rate * grad_z1

    def predict(self, X):
        return np.maximum(X.dot(self.W1.T) + self.b1, 0).dot(self.w2) + self.b2

    def evaluate(self, X, y):
        return np.sqrt(np.mean((self.predict(X) - y) ** 2))


def plot(epochs, curves, ylabel, path):
    plt.figure()
    for label, ys in curves.items():
        plt.plot(epochs, ys, label=label)
    plt.xlabel("Epoch")
    plt.ylabel(ylabel)
    plt.legend()
    plt.savefig(path)
    plt.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["perceptron", "logistic_regression", "mlp", "linear_regression", "nn"])
    p.add_argument("-epochs", type=int, default=None)
    p.add_argument("-learning_rate", type=float, default=0.001)
    p.add_argument("-hidden_size", type=int, default=None)
    p.add_argument("-data_path", default=os.environ.get("DLHW_DATA_DIR", "data"))
    p.add_argument("-out", default=".")
    opt = p.parse_args()
    np.random.seed(42)
    start = time.time()
    regression = opt.model in ("linear_regression", "nn")
    epochs = opt.epochs or (150 if regression else 20)
    if regression:
        d = np.load(os.path.join(opt.data_path, "ames", "ames.npz"))
        train_X, train_y = d["Xtrain"], d["ytrain"].ravel()
        test_X, test_y = d["Xtest"], d["ytest"].ravel()
        if opt.model == "linear_regression":
            train_X, test_X = add_bias(train_X), add_bias(test_X)
            model = LinearRegression(train_X.shape[1])
        else:
            model = NeuralRegression(train_X.shape[1], opt.hidden_size or 150)
    else:
        (train_X, train_y), (dev_X, dev_y), (test_X, test_y) = load_fashion(
            os.path.join(opt.data_path, "fashion-mnist"))
        if opt.model == "mlp":
            model = MLP(10, train_X.shape[1], opt.hidden_size or 200)
        else:
            train_X, dev_X, test_X = add_bias(train_X), add_bias(dev_X), add_bias(test_X)
            model = Perceptron(10, train_X.shape[1]) if opt.model == "perceptron" else \
                LogisticRegression(10, train_X.shape[1])
    kwargs = {} if opt.model == "perceptron" else {"learning_rate": opt.learning_rate}
    curves = {"train": [], "test": []} if regression else {"valid": [], "test": []}
    for epoch in range(1, epochs + 1):
        order = np.random.permutation(train_X.shape[0])
        model.train_epoch(train_X[order], train_y[order], **kwargs)
        if regression:
            curves["train"].append(model.evaluate(train_X, train_y))
            curves["test"].append(model.evaluate(test_X, test_y))
            print(f"Epoch {epoch}: train {curves['train'][-1]:.3f} | test {curves['test'][-1]:.3f}")
        else:
            curves["valid"].append(model.evaluate(dev_X, dev_y))
            curves["test"].append(model.evaluate(test_X, test_y))
            print(f"Epoch {epoch}: valid acc {curves['valid'][-1]:.4f} | test acc {curves['test'][-1]:.4f}")
    plot(range(1, epochs + 1), curves, "RMSE" if regression else "Accuracy",
         os.path.join(opt.out, f"student-{opt.model}.png"))
    print(f"Final test: {curves['test'][-1]:.4f} ({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
