"""The pipeline layer: the runner behind ``python -m helpers`` (validation, kernels, cache, staging, provenance).

It sits on top: nothing in the statistics, data or report layers imports it.
"""
