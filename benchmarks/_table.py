"""The benchmarks' output: a Markdown table on stdout, then the load average."""

from __future__ import annotations

import os


def print_table(head: list[str], rows: list[list[str]]) -> None:
    """``head`` and ``rows`` as a Markdown table, then the load average after the measurements."""
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(" --- " for _ in head) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
