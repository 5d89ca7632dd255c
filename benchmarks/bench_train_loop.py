"""Training-loop throughput, engine vs a bare loop (thin wrapper; the code is casestudies.training.bench).

    python benchmarks/bench_train_loop.py --models tiny_segnet,deeplabv3plus --data toy,toy-cached --repeats 3
"""

from casestudies.training.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
