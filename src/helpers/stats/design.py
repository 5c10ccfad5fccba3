"""Survey-design choices shared by the chapters: the weighting targets and how weights are made.

The law-enforcement surveys are convenience samples of one vendor's users, with no sampling
frame, so there is no population to weight *to*. What weighting can do is remove the change in
*who answered* between waves: with ``weighting="region"`` every wave is post-stratified to the
pooled regional mix of all waves in the data, so a difference between waves cannot come from a
shift in the regional composition (the US share fell from 61 % in 2016 to 46 % in 2019).
Self-selection within a region is untouched.
"""

from __future__ import annotations

WEIGHTING_CHOICES = ("none", "region")


def pooled_region_targets(frame, *, region: str = "region") -> dict[str, float]:
    """The regional mix of all respondents in the data, pooled over waves (shares summing to 1)."""
    shares = frame[region].value_counts(normalize=True, sort=False).sort_index()
    return {str(level): float(share) for level, share in shares.items()}


def survey_weights(frame, weighting: str, *, wave: str = "wave", region: str = "region"):
    """One weight per respondent: all 1 (``none``), or each wave post-stratified to the pooled mix.

    Weights within a wave sum to that wave's number of respondents, so weighted counts stay on
    the respondent scale.
    """
    import pandas as pd

    from helpers.stats.weights import poststratify

    if weighting not in WEIGHTING_CHOICES:
        raise ValueError(f"weighting must be one of {WEIGHTING_CHOICES}, got {weighting!r}")
    if weighting == "none":
        return pd.Series(1.0, index=frame.index, name="weight")
    targets = pooled_region_targets(frame, region=region)
    parts = []
    for _, part in frame.groupby(wave, sort=True):
        present = {level: share for level, share in targets.items() if level in set(part[region])}
        total = sum(present.values())
        parts.append(poststratify(part, region, {k: v / total for k, v in present.items()}))
    return pd.concat(parts).reindex(frame.index).rename("weight")
