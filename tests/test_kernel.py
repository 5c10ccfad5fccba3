"""The project kernel (netclean-reanalysis): installed with its IPC provisioner, named by every
notebook, and a plain papermill run on it prints no 'running over TCP without encryption' warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from helpers.paths import NOTEBOOKS_DIR
from helpers.pipeline.kernel import DISPLAY_NAME, KERNEL_NAME, PROVISIONER_NAME, IPCProvisioner, install


def test_every_notebook_names_the_project_kernel():
    for notebook in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        spec = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
        assert spec["name"] == KERNEL_NAME and spec["display_name"] == DISPLAY_NAME, notebook.name


def test_the_provisioner_is_registered():
    found = [ep for ep in entry_points(group="jupyter_client.kernel_provisioners") if ep.name == PROVISIONER_NAME]
    assert found and found[0].load() is IPCProvisioner


def test_install_writes_a_kernelspec_with_the_ipc_provisioner(tmp_path):
    folder = install(prefix=str(tmp_path))
    spec = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / KERNEL_NAME
    assert spec["display_name"] == DISPLAY_NAME and spec["argv"][0] == sys.executable
    assert spec["metadata"]["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME


@pytest.mark.report  # starts a kernel
def test_plain_papermill_run_prints_no_tcp_warning(tmp_path):
    install(prefix=str(tmp_path / "prefix"))  # this test does not depend on `make env` having installed it
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "prefix" / "share" / "jupyter"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    papermill = Path(sys.executable).parent / "papermill"
    result = subprocess.run([str(papermill), str(NOTEBOOKS_DIR / "04-cryptocurrencies.ipynb"), "out.ipynb",
                             "-p", "output_dir", str(tmp_path / "outputs")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "without encryption" not in result.stderr and "eavesdropping" not in result.stderr
    out = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))
    assert out["metadata"]["kernelspec"]["name"] == KERNEL_NAME
    assert not any((tmp_path / "rt").glob("kernel-nc-*")), "IPC sockets left behind"
