"""JupyterLab and plain nbconvert see what the pages see: data links that resolve from Lab's root
(the folder ``make lab`` serves) and alt text on every figure."""

from __future__ import annotations

import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest


def _lab_root() -> str:
    """The folder ``make lab`` serves, relative to the project (read from the Makefile's lab target)."""
    from helpers.paths import PROJECT_ROOT

    recipe = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8").split("\nlab:", 1)[1].split("\n\n", 1)[0]
    return re.search(r"--notebook-dir=(\S+)", recipe).group(1)


def test_figure_data_links_resolve_from_labs_root(tmp_path, monkeypatch):
    """In Lab a link in an output resolves against the notebook's folder and must stay inside the served root."""
    import matplotlib

    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt
    import pandas as pd

    from helpers.paths import NOTEBOOKS_DIR, PROJECT_ROOT
    from helpers.report import Chapter

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **_: shown.append(obj))
    monkeypatch.chdir(NOTEBOOKS_DIR)  # where Lab starts a notebook's kernel
    out = PROJECT_ROOT / "outputs" / "interactive" / ".lab-link-test"
    try:
        chapter = Chapter("04-cryptocurrencies", output_dir=str(out))
        chapter.table(pd.DataFrame({"x": [1]}), "points", caption="c", data="published")
        fig, _ = plt.subplots()
        chapter.figure(fig, "points", caption="c", source="s", data="published")
        from bs4 import BeautifulSoup

        captions = [o.data for o in shown if "nc-figure-caption" in getattr(o, "data", "")]
        href = BeautifulSoup(captions[0], features="html.parser").select_one("a[data-table]")["href"]
        root = (PROJECT_ROOT / _lab_root()).resolve()
        notebook_folder = NOTEBOOKS_DIR.resolve().relative_to(root).as_posix()
        target = posixpath.normpath(posixpath.join(notebook_folder, href))
        assert not target.startswith(".."), f"{href} leaves Lab's root {root}"
        assert (root / target).is_file()
        images = [o.data for o in shown if getattr(o, "data", "").startswith("<img")]
        assert images and 'alt="c (Data: published' in images[0]  # nbconvert sees the alt text
    finally:
        import shutil

        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.report
def test_plain_nbconvert_finds_alt_text_on_every_image(tmp_path):
    from helpers.paths import NOTEBOOKS_DIR

    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run([str(jupyter), "nbconvert", "--to", "html", "--execute", "--output-dir", str(tmp_path),
                             str(NOTEBOOKS_DIR / "04-cryptocurrencies.ipynb")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Alternative text is missing" not in result.stderr
    page = (tmp_path / "04-cryptocurrencies.html").read_text(encoding="utf-8")
    assert "<img" in page and "No description has been provided" not in page
