"""Synthetic face generator benchmark: images/s with every label and hair, peak RSS per worker, and
Haar-cascade realism by yaw bin with an 8x8 gallery per preset (written to benchmarks/_out/).

    python benchmarks/bench_generator.py [--sizes 128 256] [--workers 2] [--realism-n 200]
"""

from casestudies.data.synth.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
