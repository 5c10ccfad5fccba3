"""The codebook: content the chapters rely on, the API, and validation of broken YAML."""

from __future__ import annotations

import re

import pytest

from helpers import paths
from helpers.data.codebook import CHOICE_TYPES, TYPES, load_codebook
from helpers.errors import InputDataError


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def test_microdata_schema(cb):
    assert cb.microdata_columns() == [
        "respondent_id", "wave", "country", "region",
        "tech_encryption", "tech_darknet", "tech_cryptocurrency", "tech_anonymisation",
        "tech_p2p", "tech_social_media", "tech_messaging_apps", "tech_self_produced", "tech_usb_local_storage",
        "trend_social_media", "trend_anonymisation", "trend_encryption", "trend_cloud",
        "crypto_encountered", "crypto_frequency", "workload_change",
    ]
    assert cb.required_columns() == ["respondent_id", "wave", "country", "region"]
    assert cb.valid_waves() == [2016, 2017, 2018, 2019]
    assert cb.options("region") == {"north_america": "North America", "europe": "Europe", "other": "Other"}


def test_tags_drive_the_item_groups(cb):
    assert cb.items_tagged("advanced") == ["tech_encryption", "tech_darknet", "tech_cryptocurrency",
                                           "tech_anonymisation"]
    assert cb.items_tagged("mainstream") == ["tech_p2p", "tech_social_media", "tech_messaging_apps",
                                             "tech_self_produced", "tech_usb_local_storage"]
    assert cb.items_tagged("trend") == ["trend_social_media", "trend_anonymisation", "trend_encryption", "trend_cloud"]
    assert "trend_smartphones" in cb.items_tagged("trend", role="published")
    with pytest.raises(InputDataError, match="no question carries the tag 'advance'"):
        cb.items_tagged("advance")


def test_waves_asked_and_skip_rule(cb):
    assert cb.question("trend_social_media").waves == (2016, 2017, 2019)
    for q in ("trend_anonymisation", "trend_encryption", "trend_cloud"):
        assert cb.question(q).waves == (2017, 2019)
    assert cb.question("crypto_encountered").waves == (2018,)
    assert cb.question("crypto_frequency").asked_if == (("crypto_encountered", 1),)
    assert cb.options("crypto_frequency") == {1: "very uncommon", 2: "uncommon", 3: "neither common nor uncommon",
                                              4: "common", 5: "very common"}
    assert cb.options("workload_change") == {1: "less demanding", 2: "unchanged", 3: "more demanding"}
    for item in cb.items_tagged("advanced") + cb.items_tagged("mainstream"):
        assert cb.question(item).waves == (2016, 2017, 2018, 2019)
        assert cb.options(item) == {0: "no", 1: "yes"}


def test_every_entry_is_documented(cb):
    for q in cb.questions.values():
        assert q.type in TYPES and q.wording and q.source and q.waves, q.id
        if q.type in CHOICE_TYPES and q.is_microdata:
            assert q.options, q.id
        if q.is_published:
            assert q.published_options, q.id
    assert "paraphrase" in paths.CODEBOOK.read_text(encoding="utf-8").lower()


def test_chapter_ids_exist(cb):
    for qid in ("survey_size", "respondent_region", "respondent_country", "work_computers_cases", "severity_change",
                "anonymisation_challenge", "workload_change", "victim_identification", "distribution_methods",
                "trend_social_media", "trend_anonymisation", "trend_encryption", "trend_cloud", "trend_apps_chatrooms",
                "trend_mobile", "trend_grooming", "trend_livestreaming", "trend_technology_any", "trend_smartphones",
                "trend_social_media_gaming", "self_produced_seen", "grooming_age_seen", "extortion_age_seen",
                "crypto_encountered", "crypto_frequency", "livestream_common", "livestream_increasing",
                "workplace_alerts", "workplace_images_per_alert", "company_estimate", "biz_detection_technology",
                "biz_technology_used", "biz_csam_found", "biz2014_aware_download"):
        assert cb.question(qid).is_published, qid


def test_unknown_id_names_close_matches(cb):
    with pytest.raises(InputDataError, match=r"unknown question id 'trend_clod'; did you mean trend_cloud"):
        cb.question("trend_clod")


def test_label_map(cb):
    assert cb.question("workload_change").label_map()["more demanding"] == 3
    assert cb.question("region").label_map()["north america"] == "north_america"


# --------------------------------------------------------------------------------------
# broken codebooks
# --------------------------------------------------------------------------------------
def _broken(tmp_path, old, new, count=1):
    text = paths.CODEBOOK.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "codebook.yaml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, expected", [
    ("  - id: tech_darknet\n    roles: [microdata]\n    type: binary",
     "  - id: tech_darknet\n    roles: [microdata]\n    type: binry",
     "codebook.yaml: question 'tech_darknet': unknown type 'binry'; did you mean 'binary'?"),
    ("  - id: tech_darknet\n", "  - id: tech_encryption\n",
     "codebook.yaml: question id 'tech_encryption' is defined twice"),
    ("    options:\n      - {code: 1, label: less demanding}\n      - {code: 2, label: unchanged}\n"
     "      - {code: 3, label: more demanding}\n", "",
     "codebook.yaml: question 'workload_change': options (codes and labels) are missing "
     "for the choice type 'single_choice'"),
    ("    asked_if: {crypto_encountered: 1}", "    asked_if: {crypto_seen: 1}",
     "codebook.yaml: question 'crypto_frequency': asked_if refers to 'crypto_seen'"),
    ("    waves: [2018]\n    asked_if", "    waves: [2015]\n    asked_if",
     "codebook.yaml: question 'crypto_frequency': waves [2015] are not in meta.microdata_waves"),
    ("  - id: tech_p2p\n    roles: [microdata]", "  - id: tech_p2p\n    roles: [microdata]\n    colour: red",
     "codebook.yaml: question 'tech_p2p': unknown field(s) colour"),
    ("      - {code: 2, label: uncommon}", "      - {code: 1, label: uncommon}",
     "codebook.yaml: question 'crypto_frequency': duplicate option codes"),
    ("  - id: country\n    roles: [microdata]\n    type: text\n    required: true\n",
     "  - id: country\n    roles: [microdata]\n    type: text\n    required: yes please\n",
     "codebook.yaml: question 'country': required must be true or false"),
])
def test_broken_codebook_names_file_and_id(tmp_path, old, new, expected):
    with pytest.raises(InputDataError) as exc:
        load_codebook(_broken(tmp_path, old, new))
    assert expected in str(exc.value)


def test_not_yaml_and_empty(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("questions: [\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"codebook\.yaml: not valid YAML"):
        load_codebook(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"codebook\.yaml: the codebook is empty"):
        load_codebook(path)
    path.write_text("meta: {microdata_waves: [2016]}\nquestions: {a: 1}\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=re.escape("expected a mapping with a 'questions' list")):
        load_codebook(path)
