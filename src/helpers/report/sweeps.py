"""What the register shows of a sweep (``python -m helpers sweep``): robust and fragile verdicts."""

from __future__ import annotations

from pathlib import Path


def robustness(register, stability_file: str | Path):
    """The register's claims with the sweep's ``runs``, ``share_supported``, ``verdicts`` seen and
    ``robust`` (the same verdict in every run); None when no sweep wrote ``stability_file``."""
    import pandas as pd

    path = Path(stability_file)
    if not path.exists():
        return None
    stability = pd.read_csv(path, keep_default_na=False)
    stability["robust"] = stability["robust"].astype(str).str.lower() == "true"
    table = register[["claim_id", "data", "verdict"]].merge(stability, on="claim_id", how="left")
    table["robust"] = table["robust"].fillna(False).astype(bool)
    table["note"] = [
        "not in the sweep" if pd.isna(runs) or runs == "" else
        ("same verdict in every run" if ok else f"FRAGILE: verdicts across the sweep: {seen}")
        for runs, ok, seen in zip(table["runs"], table["robust"], table["verdicts"], strict=True)
    ]
    return table
