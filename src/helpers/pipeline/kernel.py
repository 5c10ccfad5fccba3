"""The project's Jupyter kernel: ``netclean-reanalysis`` ("NetClean re-analysis").

``make env`` installs it into ``.venv`` (``python -m helpers.pipeline.kernel install``): ipykernel's own
kernelspec for the environment's Python, plus one line of metadata that names
:class:`IPCProvisioner` as its kernel provisioner. Every Jupyter client that starts this kernel
(papermill, nbconvert, JupyterLab) then starts it on IPC sockets (Unix domain sockets in the
Jupyter runtime folder, readable by the user only) instead of TCP ports on localhost, so
ipykernel has no reason to print "Kernel is running over TCP without encryption ... susceptible
to eavesdropping": nothing goes over the network at all. On Windows (no IPC transport) the
kernel stays on TCP.

The chapter notebooks name this kernel in their metadata; the runner starts its kernels on IPC
sockets itself (see :mod:`helpers.pipeline.execution`).
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


def _socket_stem() -> str:
    """A fresh, private path stem for one kernel's five sockets (``STEM-1`` ... ``STEM-5``)."""
    from jupyter_core.paths import jupyter_runtime_dir

    name = f"kernel-nc-{uuid.uuid4().hex[:12]}-ipc"
    folder = Path(jupyter_runtime_dir())
    if len(str(folder / name)) > _MAX_SOCKET_STEM:
        import tempfile

        folder = Path(tempfile.gettempdir())
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(folder / name)


class IPCProvisioner(LocalProvisioner):
    """A local kernel on IPC sockets: the local provisioner with ``transport = "ipc"``.

    A manager that already chose IPC (the runner's, or a restart of this kernel) is left as it is.
    """

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if km is not None and sys.platform != "win32" and km.transport != "ipc":
            km.transport = "ipc"
            km.ip = _socket_stem()
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
