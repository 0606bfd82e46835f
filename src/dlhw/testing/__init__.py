"""Test-facing helpers, importable by the tests (``from dlhw.testing.toydata import blobs``) and
by the numerical checks of the written answers; nothing else in dlhw imports them.

:mod:`~dlhw.testing.gradcheck` (numerical gradients, CS231n's relative error),
:mod:`~dlhw.testing.imports` (the import-graph scan behind ``tests/test_architecture.py``),
:mod:`~dlhw.testing.toydata` (tiny seeded data sets), :mod:`~dlhw.testing.twins` (the scratch
kernels' equivalence cases), :mod:`~dlhw.testing.activation_oracles`,
:mod:`~dlhw.testing.grid_toy` (work functions spawned workers can import) and
:mod:`~dlhw.testing.reports` (fabricated results, PDF text).
"""
