"""One error type for unknown names, listing the valid ones, raised by every registry."""

from __future__ import annotations

import pytest

from casestudies.names import UnknownNameError, check_names, lookup


def test_lookup_returns_the_entry_or_lists_the_valid_names() -> None:
    assert lookup("thing", "b", {"a": 1, "b": 2}) == 2
    assert lookup("thing", "b", ("a", "b")) == "b"
    with pytest.raises(UnknownNameError) as info:
        lookup("thing", "c", {"b": 2, "a": 1}, where="f.yaml")
    err = info.value
    assert str(err) == "f.yaml: unknown thing 'c'; valid: 'a', 'b'"
    assert (err.kind, err.names, err.valid) == ("thing", ["c"], ["a", "b"])
    assert isinstance(err, KeyError) and isinstance(err, ValueError)


def test_check_names_reports_every_unknown_name() -> None:
    check_names("key", ["a"], {"a", "b"})
    with pytest.raises(UnknownNameError, match="unknown keys 'x', 'y'; valid: 'a', 'b'"):
        check_names("key", ["y", "a", "x"], {"a", "b"})


def test_every_registry_raises_the_one_error_type() -> None:
    from casestudies.adapt import get_adapter
    from casestudies.data.readers import open_dataset
    from casestudies.data.taxonomy import get_taxonomy
    from casestudies.models import create_model
    from casestudies.training import TrainConfig

    calls = {
        "model": lambda: create_model("face_segmentation", "unet"),
        "adapter": lambda: get_adapter("coral"),
        "taxonomy": lambda: get_taxonomy("paper10"),
        "dataset reader": lambda: open_dataset("lapaa", ".", "train"),
        "optimizer": lambda: TrainConfig(optimizer="lion"),
    }
    for kind, call in calls.items():
        with pytest.raises(UnknownNameError, match=f"unknown {kind} .*; valid: "):
            call()
