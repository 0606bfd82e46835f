#!/usr/bin/env python
"""Deep Learning HW1 (2025-26), Q2.1: `python hw1-ffn.py -hidden_size 64 -layers 3 ...` (PyTorch FFN)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from dlhw.cli_torch import main_ffn
from dlhw.process import end_process  # noqa: E402

if __name__ == "__main__":
    end_process(main_ffn())
