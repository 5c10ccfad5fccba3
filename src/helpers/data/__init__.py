"""The data layer: files in, validated frames out.

``io`` (the CSV reader and atomic writer), ``codebook`` (questions, options, tags and the
microdata schema), ``published`` (the reports' figures with provenance), ``synthetic`` (the
documented generator), ``microdata`` (reading, validating and loading respondent-level data)
and ``manifest`` (the data manifest: checksums, sources, terms). It builds on
:mod:`helpers.stats.bands` for verbal figures and implied counts, and on nothing above it.
"""
