"""``casestudies generate``: render a preset to disk (the lead wires ``add_arguments``/``run`` into the CLI)."""

from __future__ import annotations

import argparse

from casestudies.data.synth.presets import PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", required=True, choices=sorted(PRESETS), help="generator preset")
    parser.add_argument("--n", type=int, required=True, help="number of images")
    parser.add_argument("--size", type=int, default=256, help="image side, pixels")
    parser.add_argument("--seed", type=int, default=0, help="set seed (same arguments -> identical files)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel worker processes, threads pinned to 1 (default: one per CPU core)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    from casestudies.data.synth.disk import default_workers, generate

    if args.workers is None:
        args.workers = default_workers()
    if args.n < 0 or args.size < 16 or args.workers < 1:
        raise SystemExit("need --n >= 0, --size >= 16 and --workers >= 1")
    out = generate(args.preset, args.n, args.size, args.seed, args.out, workers=args.workers,
                   progress=not args.no_progress)
    print(f"wrote {args.n} {args.preset} images ({args.size} px, {args.workers} workers) to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="casestudies generate", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
