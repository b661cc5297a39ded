"""Sphinx extension: the kernels that execute the pages talk over Unix sockets, not TCP.

By default a Jupyter kernel manager connects to its kernel over TCP on localhost, and
ipykernel then logs, at every start, "Kernel is running over TCP without encryption"
(``IPKernelApp.init_sockets``): anyone on the machine could connect to the ports. The
book's build fails on warnings, and the warning would be true, so instead of hiding the
line the build's kernels use the IPC transport: ZeroMQ over Unix domain sockets, files
that only the user who runs the build can open.

myst-nb has no setting for the kernel manager: it executes a page through jupyter-cache's
``single_nb_execution``, which passes its keyword arguments on to nbclient's
``NotebookClient``. This extension wraps that function in myst-nb's executors (the
``force`` and ``cache`` execution modes) so that each execution gets a kernel manager
configured with ``transport = "ipc"`` (:func:`ipc_kernel_config`), its connection file and
socket files in a private temporary folder (``mkdtemp``: mode 0700) made for that one
kernel and removed after it. Socket paths are absolute, since the kernel runs in the
page's folder and the build elsewhere, and nothing is written into the repository.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from traitlets.config import Config

# myst-nb's executors that start kernels through single_nb_execution, by execution mode
EXECUTOR_MODULES = ("myst_nb.core.execute.direct", "myst_nb.core.execute.cache")


def ipc_kernel_config(folder: Path) -> Config:
    """The traitlets configuration of a kernel manager that uses IPC in ``folder``.

    ``ip`` is, for the IPC transport, the path prefix of the socket files (one per
    channel: ``<ip>-<n>``); the connection file is also kept in ``folder``.
    """
    return Config(
        {
            "KernelManager": {
                "transport": "ipc",
                "ip": str(folder / "kernel"),
                "connection_file": str(folder / "kernel.json"),
            }
        }
    )


@contextmanager
def private_kernel_folder() -> Iterator[Path]:
    """A new folder only the current user can enter, removed with what is left in it.

    Short on purpose: a Unix socket path has at most about 100 bytes.
    """
    with tempfile.TemporaryDirectory(prefix="adjnets-kernel-") as folder:
        yield Path(folder)


def with_ipc_kernel(execute: Callable[..., Any]) -> Callable[..., Any]:
    """``execute`` (jupyter-cache's ``single_nb_execution``) with its kernel on IPC."""

    @functools.wraps(execute)
    def execute_over_ipc(*args: Any, **kwargs: Any) -> Any:
        if "config" in kwargs:  # never override a caller's configuration silently
            raise TypeError("kernel_transport: the executor already passes a config")
        with private_kernel_folder() as folder:
            return execute(*args, config=ipc_kernel_config(folder), **kwargs)

    execute_over_ipc.__wrapped_for_ipc__ = True  # type: ignore[attr-defined]
    return execute_over_ipc


def install() -> None:
    """Make myst-nb's executors start their kernels over IPC (idempotent)."""
    import importlib

    for name in EXECUTOR_MODULES:
        module = importlib.import_module(name)
        execute = getattr(module, "single_nb_execution", None)
        if execute is None:
            # a myst-nb that no longer executes through this function: fail loudly
            # rather than build with TCP kernels again
            raise RuntimeError(
                f"kernel_transport: {name}.single_nb_execution not found; this "
                "extension needs updating for the installed myst-nb"
            )
        if not getattr(execute, "__wrapped_for_ipc__", False):
            module.single_nb_execution = with_ipc_kernel(execute)  # type: ignore[attr-defined]


def _check_mode(app: Any, config: Any) -> None:
    mode = config.nb_execution_mode
    if mode == "inline":
        # the inline executor builds its own NotebookClient, outside this wrapper
        from sphinx.errors import ConfigError

        raise ConfigError("kernel_transport supports the force and cache modes only")


def setup(app: Any) -> dict[str, Any]:
    install()
    app.connect("config-inited", _check_mode)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
