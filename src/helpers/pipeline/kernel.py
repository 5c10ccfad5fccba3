"""The project's Jupyter kernel: ``netclean-reanalysis`` ("NetClean re-analysis").

``make env`` installs it into ``.venv`` (``python -m helpers.pipeline.kernel install``): ipykernel's own
kernelspec for the environment's Python, plus one line of metadata that names
:class:`IPCProvisioner` as its kernel provisioner. Every Jupyter client that starts this kernel
(papermill, nbconvert, JupyterLab) then starts it on IPC sockets (Unix domain sockets in the
Jupyter runtime folder, readable by the user only) instead of TCP ports on localhost, so
ipykernel has no reason to print "Kernel is running over TCP without encryption ... susceptible
to eavesdropping": nothing goes over the network at all. On Windows (no IPC transport) the
kernel stays on TCP.

The chapter notebooks name this kernel in their metadata. The runner starts its kernels with the
same set-up (:func:`use_ipc_sockets`), its sockets in the run's private folder
(see :mod:`helpers.pipeline.execution`).
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

KERNEL_NAME = "netclean-reanalysis"
DISPLAY_NAME = "NetClean re-analysis"
PROVISIONER_NAME = "netclean-ipc-provisioner"  # the entry point in pyproject.toml

#: Unix socket paths must stay below ~104 bytes (macOS) with the "-N" channel suffix.
_MAX_SOCKET_STEM = 90


def socket_stem(folder: str | Path | None = None) -> str:
    """A fresh, private path stem for one kernel's five sockets (``STEM-1`` ... ``STEM-5``), in
    ``folder`` (default: the Jupyter runtime folder), or the temporary folder when that path is too long."""
    from jupyter_core.paths import jupyter_runtime_dir

    name = f"kernel-nc-{uuid.uuid4().hex[:12]}-ipc"
    where = Path(folder) if folder is not None else Path(jupyter_runtime_dir())
    if len(str(where / name)) > _MAX_SOCKET_STEM:
        import tempfile

        where = Path(tempfile.gettempdir())
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(where / name)


def use_ipc_sockets(manager: Any, folder: str | Path | None = None) -> None:
    """Put a kernel manager on IPC sockets in ``folder`` (no-op on Windows, which has no IPC transport)."""
    if sys.platform != "win32":
        manager.transport = "ipc"
        manager.ip = socket_stem(folder)


class IPCProvisioner(LocalProvisioner):
    """A local kernel on IPC sockets: the local provisioner with ``transport = "ipc"``.

    A manager that already chose IPC (the runner's, or a restart of this kernel) is left as it is.
    """

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if km is not None and km.transport != "ipc":
            use_ipc_sockets(km)
        return await super().pre_launch(**kwargs)


def install(prefix: str | None = None) -> Path:
    """Install the kernelspec under ``prefix`` (default: this environment, ``sys.prefix``)."""
    from ipykernel.kernelspec import install as install_kernelspec

    folder = Path(install_kernelspec(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME,
                                     prefix=prefix or sys.prefix))
    spec_file = folder / "kernel.json"
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    spec.setdefault("metadata", {})["kernel_provisioner"] = {"provisioner_name": PROVISIONER_NAME, "config": {}}
    spec_file.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.kernel", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["install"])
    parser.add_argument("--prefix", default=None, help="install prefix (default: this environment)")
    args = parser.parse_args(argv)
    folder = install(args.prefix)
    print(f"Installed kernelspec {KERNEL_NAME!r} ({DISPLAY_NAME}) in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
