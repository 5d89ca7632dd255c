"""Versions of the data that determine a run's result, so that they enter its identity.

A run's id hashes its resolved parameters *and* these versions (:func:`casestudies.params.run_id`):
a run trained on sets from an older generator gets another id and is re-run by the next sweep
instead of being reused silently. Bump ``GENERATOR_VERSION`` whenever the generator's output for
the same (preset, seed, size) changes; the generated-set cache and the manifests carry it too.

A torch-free leaf module: params, sweep and the generator all import it.
"""

from __future__ import annotations

GENERATOR_VERSION = "0.14.0"  # the synthetic face generator (casestudies.data.synth): bump when its output changes


def data_versions() -> dict[str, str]:
    """The data versions a run's id includes (read at call time)."""
    return {"generator": GENERATOR_VERSION}
