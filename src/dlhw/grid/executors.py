"""The grid executors by name: ``--backend local`` (processes on this machine) or ``ray``.

``--backend`` is the grid executor option only; the numpy models' compute path is ``--kernel``.
"""

from __future__ import annotations

from dlhw.errors import ConfigError
from dlhw.grid.backends import Backend, local_backend

BACKENDS = ("local", "ray")


def make_backend(name: str = "local", *, jobs: int | None = 1, address: str | None = None,
                 num_gpus: float = 0, max_retries: int | None = None) -> Backend:
    """The backend called ``name``: ``"local"`` (processes on this machine) or ``"ray"``."""
    if name == "local":
        if address:
            raise ConfigError("--address is for --backend ray; drop it or add --backend ray")
        return local_backend(jobs)
    if name == "ray":
        from dlhw.grid.ray_backend import RayBackend  # ray is imported only when asked for

        return RayBackend(address, jobs if jobs and jobs > 1 else None, num_gpus=num_gpus,
                          **({} if max_retries is None else {"max_retries": max_retries}))
    raise ConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
