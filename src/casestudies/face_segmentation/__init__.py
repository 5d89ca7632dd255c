"""Case study 1, face segmentation: its data, one training run, its test metrics and its figures.

``notebooks/01_face_segmentation.py`` narrates one grid point with these modules:
:mod:`.data` (real A / real B / synthetic sets by reader name or stand-in preset, split so that train,
val and test never overlap), :mod:`.experiment` (the schedule's training run under one step budget),
:mod:`.evaluation` (test-split metrics and confusion matrices), :mod:`.viz` (the notebook's figures).
The whitepaper section built from the records is :mod:`casestudies.report_face_segmentation`.
"""

CASE = "face_segmentation"
TAXONOMY = "paper9"
