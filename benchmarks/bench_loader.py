"""Loader throughput benchmark (thin wrapper; the code lives in casestudies.data.bench_loader).

    python benchmarks/bench_loader.py --n 1000 --size 256 --workers 0,1,2
"""

from casestudies.data.bench_loader import main

if __name__ == "__main__":
    raise SystemExit(main())
