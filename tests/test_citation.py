"""The licence and the citation metadata: CITATION.cff parses, names pyproject's version, and LICENSE is MIT."""

from __future__ import annotations

import datetime
import tomllib

import yaml

from helpers.paths import PROJECT_ROOT as ROOT


def _citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_citation_parses_and_names_the_pyproject_version():
    cff = _citation()
    project = _pyproject()["project"]
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software"
    assert cff["title"] == "The NetClean Reports, re-analysed"
    assert str(cff["version"]) == project["version"], "CITATION.cff and pyproject.toml name different versions"
    assert isinstance(cff["date-released"], datetime.date)
    assert cff["license"] == project["license"] == "MIT"
    assert cff["abstract"].strip()
    assert cff["authors"] == [{"name": "NetClean re-analysis contributors"}]


def test_citation_references_the_netclean_reports():
    (report,) = [r for r in _citation()["references"] if r["type"] == "report"]
    assert report["authors"] == [{"name": "NetClean Technologies AB"}]
    assert report["url"] == "https://www.netclean.com/netclean-report-2018/"
    assert "2015" in report["title"] and "2019" in report["title"]


def test_licence_is_mit():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "MIT License"
    assert "Copyright (c) 2026 The NetClean re-analysis contributors" in text
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
