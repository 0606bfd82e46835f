"""dlhw: the two Deep Learning HW1 homeworks (IST 2021-22, 2025-26) as reusable software.

Layers, imported one way: ``data`` and ``features`` feed ``scratch`` (numpy models) and
``nets`` (PyTorch), trained by ``training``; ``experiments`` (one per homework question) run
them, ``grid`` runs many configurations, ``report`` reads the stored results.
"""

__version__ = "0.1.0"
