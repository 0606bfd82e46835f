#!/usr/bin/env python
"""Deep Learning HW1 (2021-22), Q3 in numpy: `python hw1-q3.py perceptron|logistic_regression|mlp`."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from dlhw.cli_homework import main_q3  # noqa: E402
from dlhw.process import end_process  # noqa: E402

if __name__ == "__main__":
    end_process(main_q3())
