"""``dlhw.training``: every training loop, above the models it trains.

- :mod:`~dlhw.training.protocol`: the numpy models' loop (epochs in :func:`dlhw.rng.epoch_order`,
  best-validation checkpoint, resume, divergence check) -> ``TrainResult``
  (:mod:`~dlhw.training.result`: the one result type of every loop, numpy and torch);
- :mod:`~dlhw.training.torch_loop`: the PyTorch loop (:func:`train_torch`, one
  :class:`~dlhw.training.torch_loop.TorchRun` per run) and :mod:`~dlhw.training.torch_fast`, its
  batch-1 fast path; :mod:`~dlhw.training.torch_epoch` fixes a run's randomness;
- :mod:`~dlhw.training.ensemble`: many same-shape configurations trained as one stacked model
  (:mod:`dlhw.nets.stacked`) with :mod:`~dlhw.training.stacked_optim`;
- :mod:`~dlhw.training.run_folder`: the one public run folder (fingerprint, state, best/last
  checkpoints, run record, lock) every loop composes; checkpoints, history and plots beside it.

Both results answer ``metrics()`` (the names of ``docs/results.md``); both loops take ``test``.
"""
