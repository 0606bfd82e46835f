#!/usr/bin/env python
"""Deep Learning HW1 (2025-26), Q1 perceptron in numpy: `python hw1-perceptron.py --help`."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from dlhw.cli_homework import main_2526  # noqa: E402
from dlhw.process import end_process  # noqa: E402

if __name__ == "__main__":
    end_process(main_2526("perceptron"))
