"""The Dask engine, the method checks' replicates and the sweep, against a real scheduler and workers.

Unit tier (unmarked): seeds, batching, the on-disk cache and resumption, respondents needed,
the generator's knobs, in-process clusters only. The ``slow`` / ``report`` tiers start a real
``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (the venv's ``dask`` CLI,
random free ports, bounded in time, always cleaned up) and check that the method-checks
chapter and a two-point sweep give byte-identical tables to a LocalCluster run, and that a
study survives a worker killed in the middle.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT
from helpers.pipeline.distributed import Item, batches, run_items
from helpers.report import method_checks as mc
from helpers.report.method_study import cache_namespace

DASK = Path(sys.executable).parent / "dask"


def square(x):
    return {"value": x * x}


@pytest.fixture(scope="module")
def in_process():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield client


def test_replicate_seeds_depend_only_on_seed_and_key():
    a = mc.replicate_seeds(2018, "widening|stable||100|0")
    assert a == mc.replicate_seeds(2018, "widening|stable||100|0")
    assert a != mc.replicate_seeds(2018, "widening|stable||100|1")
    assert a != mc.replicate_seeds(2019, "widening|stable||100|0")


def test_batches_are_about_a_second():
    items = [Item(f"k{i}", square, (i,)) for i in range(10)]
    assert [len(b) for b in batches(items, lambda key: 0.25, 1.0)] == [6, 4]
    assert all(len(b) == 1 for b in batches(items, lambda key: 2.0, 1.0))


def test_cache_resumes_and_computes_only_new_items(tmp_path, in_process):
    first, second = {}, {}
    out = run_items([(f"k{i}", square, (i,)) for i in range(5)], namespace="t", cache_dir=tmp_path,
                    scheduler=in_process, progress=False, stats=first)
    assert first["computed"] == 5 and out["k4"] == {"value": 16}
    out = run_items([(f"k{i}", square, (i,)) for i in range(8)], namespace="t", cache_dir=tmp_path,
                    scheduler=in_process, progress=False, stats=second)
    assert second["cached"] == 5 and second["computed"] == 3
    assert list(out) == [f"k{i}" for i in range(8)] and out["k7"] == {"value": 49}


def test_respondents_needed_interpolates_and_says_when_not_reached():
    table = pd.DataFrame({"test": "widening", "scenario": "widening", "role": "power", "effect": [0.2] * 3 + [0.4] * 3,
                          "respondents_per_wave": [100, 200, 400] * 2, "replicates": 10, "rejections": 0,
                          "rate": [0.1, 0.3, 0.6, 0.5, 0.7, 0.9], "low": 0.0, "high": 1.0})
    needed = mc.respondents_needed(table).set_index("effect")
    assert np.isnan(needed.loc[0.2, "respondents_per_wave"]) and "not reached" in needed.loc[0.2, "note"]
    assert needed.loc[0.4, "respondents_per_wave"] == pytest.approx(300.0)


def test_generator_effect_and_equal_wave_knobs():
    from helpers.data.synthetic import generate

    frame = generate("widening", 3, draws="random", n_per_wave=50, widening_logit=0.3)
    assert frame.groupby("wave").size().tolist() == [50, 50, 50, 50]
    assert "widening +0.3 logit per wave" in frame.attrs["label"]


# ---------------------------------------------------------------------------------------
# a real scheduler and two workers on localhost
# ---------------------------------------------------------------------------------------
class Cluster:
    def __init__(self, root: Path):
        self.root, self.processes = root, []
        self.scheduler_file = root / "scheduler.json"

    def _start(self, *args):
        log = open(self.root / f"process-{len(self.processes)}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"})
        self.processes.append(proc)
        return proc

    def start(self, workers: int = 2, timeout: float = 60):
        self._start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(self.scheduler_file))
        deadline = time.monotonic() + timeout
        while not self.scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        self.workers = [self._start_worker() for _ in range(workers)]
        self.wait_for_workers(workers, timeout)
        return self

    def _start_worker(self):
        return self._start("worker", "--scheduler-file", str(self.scheduler_file), "--nthreads", "1",
                           "--no-dashboard", "--nworkers", "1")

    def wait_for_workers(self, workers: int, timeout: float = 60):
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=timeout)

    def replace(self, worker):
        """Kill ``worker`` and start another in its place (so the next test finds two)."""
        self.kill(worker)
        self.workers[self.workers.index(worker)] = self._start_worker()
        self.wait_for_workers(len(self.workers))

    @property
    def address(self) -> str:
        return json.loads(self.scheduler_file.read_text())["address"]

    def kill(self, proc):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def stop(self):
        for proc in reversed(self.processes):
            self.kill(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One scheduler and two workers for the module (a test that kills a worker starts another)."""
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c.start()
    finally:
        c.stop()


TINY = {"scenarios": ["stable", "widening"], "respondents_per_wave": [40, 60], "widening_effects": (0.4,)}


def _study(scheduler, cache_dir, replicates=2):
    cells = mc.design(TINY["scenarios"], TINY["respondents_per_wave"], widening_effects=TINY["widening_effects"])
    results = run_items(mc.items(cells, replicates, 7), namespace=cache_namespace("widening", 7), cache_dir=cache_dir,
                        scheduler=scheduler, cost=mc.cost, progress=False)
    return mc.size_and_power(cells, results, replicates).to_csv(index=False)


def _chapter(tmp_path, name, scheduler):
    out = tmp_path / name
    env = {**os.environ, "HELPERS_CACHE_DIR": str(tmp_path / f"cache-{name}")}
    args = [sys.executable, "-m", "helpers", "run", "09", "--output-dir", str(out), "--no-export",
            "-p", "study", "compute", "-p", "replicates", "2", "-p", "respondents_per_wave", "40,60",
            "-p", "scenarios", "stable,widening", "-p", "widening_effects", "[0.4]", "-p", "scheduler", scheduler]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return {p.name: p.read_bytes() for p in (out / "tables" / "09-method-checks").glob("*.csv")}


@pytest.mark.slow
@pytest.mark.report
def test_the_chapter_on_a_real_cluster_matches_a_local_run(tmp_path, cluster):
    remote = _chapter(tmp_path, "remote", cluster.address)
    local = _chapter(tmp_path, "local", "local")
    assert set(local) == {"size-and-power.csv", "respondents-needed.csv"}
    assert remote == local


@pytest.mark.slow
def test_a_study_survives_a_killed_worker(tmp_path, cluster):
    reference = _study("local", None)
    cache = tmp_path / "cache"
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(table=_study(cluster.address, cache)))
    thread.start()
    deadline = time.monotonic() + 120
    while len(list(cache.rglob("*.json"))) < 2 and thread.is_alive():   # some replicates done
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cluster.kill(cluster.workers[0])
    thread.join(timeout=240)
    assert not thread.is_alive(), "the study did not finish after a worker was killed"
    assert outcome["table"] == reference
    cluster.replace(cluster.workers[0])


@pytest.mark.slow
@pytest.mark.report
def test_a_sweep_on_a_real_cluster_matches_a_local_run(tmp_path, cluster):
    grid = tmp_path / "grid.yaml"
    grid.write_text("alpha: [0.05, 0.001]\n")
    files = {}
    for name, scheduler in (("remote", cluster.address), ("local", "local")):
        args = [sys.executable, "-m", "helpers", "sweep", str(grid), "01", "10", "--output-dir",
                str(tmp_path / name), "--scheduler", scheduler]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        files[name] = {f: (tmp_path / name / "sweep" / f).read_bytes()
                       for f in ("verdicts.csv", "stability.csv", "runs.csv")}
    assert files["remote"] == files["local"]
    verdicts = pd.read_csv(tmp_path / "local" / "sweep" / "verdicts.csv")
    assert list(verdicts.columns) == ["run", "alpha", "claim_id", "verdict", "p_adjusted", "estimate"]


def test_a_bad_grid_stops_before_anything_runs(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("alpha: [0.05, 2]\n")
    done = subprocess.run([sys.executable, "-m", "helpers", "sweep", str(grid), "01", "--output-dir",
                           str(tmp_path / "o")], capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert done.returncode == 2 and "run-002" in done.stderr and "alpha" in done.stderr
    assert not (tmp_path / "o" / "sweep" / "runs" / "run-001").exists()
