"""Fixtures of the report tests (helpers live in report_helpers.py: a module name no other
test folder uses, so ``from report_helpers import ...`` is unambiguous)."""

from report_helpers import fabricated  # noqa: F401  (a fixture)
