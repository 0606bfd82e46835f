"""GridRunner's cost-balanced task plan: longest first, the largest split across the workers."""

from __future__ import annotations

from dlhw.grid import GridRunner, GridSpec


def _noop(members):
    return [{"best_dev_accuracy": 0.0} for _ in members]


def _plan(tmp_path, jobs: int):
    spec = GridSpec(base={}, axes={"width": (16, 32, 64, 128, 256), "lr": (1, 2, 3, 4)})
    runner = GridRunner(tmp_path, group_fn=_noop, group_by=lambda p: p["width"], jobs=jobs,
                        cost=lambda ms: sum(m.params["width"] for m in ms), progress=False)
    return [(t.members[0].params["width"], len(t.members)) for t in runner.tasks(runner.members(spec))]


def test_two_workers_start_the_largest_split_and_first(tmp_path):
    # costs 64 128 256 512 1024 (total 1984, share 992): width 256 is split in two halves of 512,
    # then longest first (ties in grid order)
    assert _plan(tmp_path, 2) == [(128, 4), (256, 2), (256, 2), (64, 4), (32, 4), (16, 4)]


def test_one_worker_keeps_grid_order(tmp_path):
    assert _plan(tmp_path, 1) == [(16, 4), (32, 4), (64, 4), (128, 4), (256, 4)]


def test_q4_grid_starts_adam_first(tmp_path):
    """hw2122 Q4.2: the Adam configuration (the longest) starts first, not last and alone."""
    from dlhw.experiments.hw2122.q4_torch import DEFAULTS, QUESTIONS, config_cost

    q = QUESTIONS[1]
    spec = GridSpec(base={k: v for k, v in {**DEFAULTS.to_dict(), **q.base}.items() if k not in q.axes},
                    axes=q.axes)
    runner = GridRunner(tmp_path, fn=lambda m: {}, jobs=2, cost=config_cost, progress=False)
    order = [t.members[0].params["variant"] for t in runner.tasks(runner.members(spec))]
    assert order[0] == "optimizer=adam" and order[-1] == "hidden_size=100"
    assert sorted(order) == sorted(q.axes["variant"])
