"""The data layer: files in, validated frames out.

``io`` (the CSV reader and atomic writer), ``codebook`` (questions, options, tags and the
microdata schema), ``published`` (the reports' figures with provenance), ``synthetic`` (the
documented generator), ``microdata`` (reading, validating and loading respondent-level data)
and ``manifest`` (the data manifest: checksums, sources, terms). It builds on
:mod:`helpers.stats.bands` for verbal figures and implied counts, and on nothing above it.
"""

from typing import NewType

#: The declared type of a chapter parameter that names respondent-level data: ``"synthetic"`` or a
#: path to a CSV, xlsx or sav export. The runner validates such a file before any kernel starts,
#: hashes it into the chapter's cache key and records it in run.json (whatever the parameter's name).
MicrodataFile = NewType("MicrodataFile", str)
