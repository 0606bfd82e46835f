"""dlhw: the two Deep Learning HW1 homeworks (IST 2021-22, 2025-26) as reusable software.

Layers, imported downwards only (``tests/test_architecture.py`` checks it, with the order in
:data:`dlhw.testing.imports.LAYERS`): the base modules (``errors``, ``validation``, ``rng``,
``io``, ``results``, ``labels``, ``markup``) -> ``data`` -> ``features`` -> ``activations`` ->
models (``scratch``: numpy, ``nets``: PyTorch) -> ``training`` (every loop) -> ``grid`` ->
``experiments`` (one module per homework question) -> ``answers`` -> ``report`` (reads stored
results only) -> ``reproduce`` and the command lines (``cli``, ``cli_homework``, ``cli_torch``).
"""

__version__ = "0.1.0"
