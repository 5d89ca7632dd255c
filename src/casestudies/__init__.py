"""casestudies: does synthetic face data help computer vision, and how should it be mixed in?

The library behind the notebooks: data (generator, readers, taxonomies), models, metrics,
training, and the sweep / record / report machinery.
"""

__version__ = "0.1.0"

CASES = ("face_segmentation", "background_matting", "facial_landmarks")


def load_records(*args, **kwargs):  # noqa: ANN002, ANN003 - thin lazy re-export
    """Lazy re-export of :func:`casestudies.store.load_records` (keeps ``import casestudies`` light)."""
    from casestudies.store import load_records as _load_records

    return _load_records(*args, **kwargs)
