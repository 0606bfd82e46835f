"""``python -m dlhw`` is the ``dlhw`` command."""

from dlhw.cli import console

console()
