"""``dlhw.grid``: grids declared as data, run in parallel, resumable, with a results table.

>>> spec = GridSpec(base={"epochs": 20}, axes={"lr": (1e-4, 1e-3, 1e-2), "l2": (1e-5, 1e-3)})
>>> result = GridRunner("runs/grid", fn=train_one, jobs=None).run(spec)     # doctest: +SKIP
>>> test = result.test_best(test_one)           # the test set, for the best configuration only
>>> result.write_table("runs/grid/table", result.table(test=test))          # doctest: +SKIP

``train_one(member) -> {"best_dev_accuracy": ..., ...}`` trains one configuration
(``member.params``, ``member.seed``) and writes its files under ``member.run_dir``; the runner
writes ``record.json`` after it returns. Rerunning skips configurations with a record.
"""

from dlhw.grid.backends import Backend, ProcessBackend, SerialBackend, local_backend
from dlhw.grid.results import GridResult, diverged_record
from dlhw.grid.runner import GridError, GridRunner, run_grid
from dlhw.grid.spec import Config, GridSpec, canonical_json
from dlhw.grid.store import GridStore, Member

__all__ = ["Backend", "Config", "GridError", "GridResult", "GridRunner", "GridSpec", "GridStore",
           "Member", "diverged_record", "ProcessBackend", "SerialBackend", "canonical_json", "local_backend",
           "run_grid"]
