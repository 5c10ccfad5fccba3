"""Many small independent jobs on ``dask.distributed``: an embedded LocalCluster, or a real cluster.

The engine knows nothing of statistics. It takes :class:`Item` s (a stable string ``key``, a
plain importable callable and its arguments), and

* skips the items whose results are already cached on disk (``cache_dir/<namespace>/``, one
  JSON file per item; the caller puts everything that decides the result - e.g. a hash of
  the method's code - into ``namespace`` and ``key``), so an interrupted study resumes and a
  larger study computes only its new items;
* batches the rest into tasks of about ``batch_seconds`` each (``cost`` estimates an item's
  seconds), submits them with ``retries`` (a task raising on a lost or failing worker is
  re-run; a worker that dies has its tasks rescheduled by the scheduler), and writes each
  result to the cache as soon as its task ends (from this process: workers need no shared disk);
* shows a progress bar (``tqdm.auto``: text in a terminal, a widget in JupyterLab when
  ipywidgets is installed);
* returns ``{key: result}`` in the items' order, so the outcome never depends on the number of
  workers, the scheduler or the order in which tasks finish.

``scheduler``: ``"local"`` starts an embedded LocalCluster (one single-threaded worker process
per core, ``n_workers`` to override) for the call and closes it afterwards; an address such as
``"tcp://10.0.0.5:8786"`` connects to a running scheduler (``dask scheduler`` / ``dask worker``,
dask-jobqueue, dask-kubernetes, ...); a ``distributed.Client`` is used as it is.
Results must be JSON-serialisable (numbers, strings, lists, dicts).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helpers.errors import ParameterError

#: default number of times a failed task is re-run (on another worker when one died)
RETRIES = 3


@dataclass(frozen=True)
class Item:
    """One job: a unique stable ``key``, an importable callable and its arguments. A plain tuple
    ``(key, fn, args)`` or ``(key, fn, args, kwargs)`` is accepted wherever an Item is."""

    key: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def as_item(item) -> Item:
    return item if isinstance(item, Item) else Item(*item)


def _file_for(cache_dir: Path, namespace: str, key: str) -> Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return cache_dir / namespace / digest[:2] / f"{digest}.json"


def _load(path: Path, key: str):
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if record.get("key") == key else None


def _store(path: Path, key: str, result) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"key": key, "result": result}, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def run_batch(batch: list[tuple[str, Callable, tuple, dict]]) -> list[tuple[str, object, float]]:
    """One task: several items in a row, each with its own time (what the workers run)."""
    out = []
    for key, fn, args, kwargs in batch:
        started = time.perf_counter()
        out.append((key, fn(*args, **kwargs), time.perf_counter() - started))
    return out


def batches(items: Sequence[Item], cost: Callable[[str], float] | None, batch_seconds: float) -> list[list[Item]]:
    """Consecutive items grouped so that a batch costs about ``batch_seconds`` (at least one item)."""
    out: list[list[Item]] = []
    current: list[Item] = []
    spent = 0.0
    for item in items:
        seconds = cost(item.key) if cost else batch_seconds * 2
        if current and spent + seconds > batch_seconds * 1.5:
            out.append(current)
            current, spent = [], 0.0
        current.append(item)
        spent += seconds
    if current:
        out.append(current)
    return out


@contextlib.contextmanager
def client_for(scheduler="local", *, n_workers: int | None = None):
    """A ``distributed.Client``: an embedded LocalCluster for ``"local"``, else one connected to
    the scheduler's address (or the Client given)."""
    from distributed import Client, LocalCluster

    if not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler == "local":
        workers = n_workers or os.cpu_count() or 1
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=40) as cluster, Client(cluster) as client:
            yield client
        return
    if not scheduler.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")):
        raise ParameterError(f"scheduler must be 'local' or an address such as tcp://host:8786, not {scheduler!r}")
    with Client(scheduler, timeout="30s") as client:
        yield client


def _progress(total: int, description: str, enabled: bool):
    if not enabled:
        return contextlib.nullcontext(None)
    import warnings

    with warnings.catch_warnings():   # tqdm.auto warns when a notebook has no ipywidgets, then prints text
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=description, unit="item", mininterval=0.5)


def run_items(items: Sequence[Item], *, namespace: str, cache_dir: str | os.PathLike | None = None,
              scheduler="local", n_workers: int | None = None, cost: Callable[[str], float] | None = None,
              batch_seconds: float = 1.0, retries: int = RETRIES, progress: bool = True,
              description: str = "items", stats: dict | None = None) -> dict[str, object]:
    """Run every item (cached ones are read back), as described in the module docstring.

    ``stats`` (a dict, optional) receives ``cached``, ``computed``, ``tasks``, ``seconds``
    (wall time) and ``item_seconds`` (the items' own compute time). ``cost(key)``: an item's
    estimated seconds, for batching (none: one item per task).
    """
    items = [as_item(item) for item in items]
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        raise ParameterError("item keys must be unique")
    cache = Path(cache_dir) if cache_dir else None
    results: dict[str, object] = {}
    todo: list[Item] = []
    for item in items:
        hit = _load(_file_for(cache, namespace, item.key), item.key) if cache else None
        if hit is None:
            todo.append(item)
        else:
            results[item.key] = hit["result"]
    started = time.perf_counter()
    groups = batches(todo, cost, batch_seconds)
    item_seconds = 0.0
    if groups:
        from distributed import as_completed

        with client_for(scheduler, n_workers=n_workers) as client, \
                _progress(len(items), description, progress) as bar:
            if bar is not None:
                bar.update(len(items) - len(todo))
            futures = []
            for group in groups:
                payload = [(i.key, i.fn, i.args, i.kwargs) for i in group]
                digest = hashlib.sha256("\n".join(i.key for i in group).encode()).hexdigest()[:16]
                futures.append(client.submit(run_batch, payload, key=f"{namespace[:12]}-{digest}", pure=False,
                                             retries=retries))
            for future in as_completed(futures):
                rows = future.result()
                for key, result, seconds in rows:
                    results[key] = result
                    item_seconds += seconds
                    if cache:
                        _store(_file_for(cache, namespace, key), key, result)
                if bar is not None:
                    bar.update(len(rows))
                future.release()
    if stats is not None:
        stats.update({"cached": len(items) - len(todo), "computed": len(todo), "tasks": len(groups),
                      "seconds": time.perf_counter() - started, "item_seconds": item_seconds})
    return {key: results[key] for key in keys}
