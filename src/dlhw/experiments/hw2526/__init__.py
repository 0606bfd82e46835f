"""Experiments of the 2025-26 homework (EMNIST Letters; ``--dataset fashion-mnist`` accepted)."""
