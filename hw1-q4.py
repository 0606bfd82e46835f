#!/usr/bin/env python
"""Deep Learning HW1 (2021-22), Q4 in PyTorch: `python hw1-q4.py logistic_regression|mlp`."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from dlhw.cli_torch import main_q4
from dlhw.process import end_process  # noqa: E402

if __name__ == "__main__":
    end_process(main_q4())
