"""CPU seconds per optimizer step of the landmark case by schedule type (thin wrapper; the code is
casestudies.training.bench_landmarks).

    python benchmarks/bench_landmarks.py --steps 40 --batch-size 8
"""

from casestudies.training.bench_landmarks import main

if __name__ == "__main__":
    raise SystemExit(main())
