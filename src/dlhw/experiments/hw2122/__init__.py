"""Experiments of the 2021-22 homework (Fashion-MNIST and Ames)."""
