"""The data versions in the run id are the ones the data carries."""

from __future__ import annotations

from casestudies import versions


def test_the_generator_reports_the_version_in_the_run_id() -> None:
    from casestudies.data.synth import GENERATOR_VERSION

    # until data/synth/knobs.py imports it from casestudies.versions, two copies must agree
    assert GENERATOR_VERSION == versions.GENERATOR_VERSION
    assert versions.data_versions() == {"generator": versions.GENERATOR_VERSION}
