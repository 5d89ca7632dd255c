from __future__ import annotations

import pytest
import torch

from casestudies import CASES
from casestudies.models import MODELS, ModelSpec, create_model
from casestudies.names import UnknownNameError


def test_every_case_has_a_table():
    assert set(MODELS) == set(CASES)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UnknownNameError, match="unknown case 'face_parsing'; valid: .*'face_segmentation'"):
        create_model("face_parsing", "deeplabv3plus")
    with pytest.raises(UnknownNameError, match=r"case 'face_segmentation': unknown model 'unet'; valid: 'deeplabv3plus', 'tiny_segnet'"):
        create_model("face_segmentation", "unet")


@pytest.mark.parametrize("name", ["deeplabv3plus", "tiny_segnet"])
def test_segmentation_models_give_per_class_logits(name):
    torch.manual_seed(0)
    model = create_model("face_segmentation", name, classes=9).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 9, 64, 64)


def test_model_spec_builds_and_keys():
    spec = ModelSpec("face_segmentation", "tiny_segnet", {"width": 4, "classes": 3})
    assert spec.key() == {"case": "face_segmentation", "name": "tiny_segnet", "kwargs": {"classes": 3, "width": 4}}
    assert spec.build()[-1].out_channels == 3
