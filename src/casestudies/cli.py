"""Command line: ``casestudies sweep | status | report | clean | stage | generate | bench``.

Exit codes: 0 success, 1 some runs failed (or a step failed), 2 bad arguments or parameters
(including an unknown name: :class:`~casestudies.names.UnknownNameError`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from casestudies import __version__
from casestudies.names import UnknownNameError
from casestudies.params import PROFILES, ParameterError
from casestudies.project import Project

# Sub-commands implemented elsewhere: name -> (module, help). Each module has
# ``add_arguments(parser)`` and ``run(args) -> int``; imported only when that command runs.
EXTERNAL: dict[str, tuple[str, str]] = {
    "generate": ("casestudies.data.synth.cli", "render a synthetic face set to disk (FaceSynthetics layout)"),
    "bench": ("casestudies.bench", "run a throughput benchmark (see `casestudies bench --list`)"),
}


def _plan(args: argparse.Namespace, proj: Project, case: str, profile: str):
    from casestudies.params import resolve

    params_file = Path(args.params) if getattr(args, "params", None) else proj.params_file(case)
    return resolve(case, proj.notebook(case), params_file, profile, getattr(args, "set", None), getattr(args, "grid", None))


def cmd_sweep(args: argparse.Namespace) -> int:
    from casestudies.sweep import run_sweep

    proj = Project.at(args.root, args.runs)
    plan = _plan(args, proj, args.case, args.profile)
    if args.dry_run:
        for rid, params in plan.runs:
            print(rid, {k: v for k, v in params.items()})
        print(f"{len(plan.runs)} runs planned for {args.case} [{args.profile}] (dry run: nothing executed)")
        return 0
    summary = run_sweep(
        plan, proj.runs, proj.root, executor=args.executor, jobs=args.jobs, threads=args.threads,
        timeout_s=args.timeout, progress=not args.no_progress, reuse_kernels=not args.fresh_kernels,
    )
    print(summary.text())
    return 0 if summary.ok else 1


def status_table(proj: Project, cases: list[str] | None = None, profiles: tuple[str, ...] = PROFILES):
    """Rows of (case, profile, planned, done, failed, running, pending) for the planned runs."""
    from casestudies.params import resolve
    from casestudies.store import Status, iter_runs, run_state

    counted = (Status.DONE, Status.FAILED, Status.RUNNING)

    rows = []
    for case in cases or proj.cases():
        planned: set[str] = set()
        for profile in PROFILES:
            try:
                plan = resolve(case, proj.notebook(case), proj.params_file(case), profile)
            except (ParameterError, UnknownNameError) as e:
                if profile in profiles:
                    rows.append((case, profile, "-", "-", "-", "-", f"error: {e}"))
                continue
            planned.update(rid for rid, _ in plan.runs)
            if profile not in profiles:
                continue
            states = [run_state(proj.runs / case / rid) for rid, _ in plan.runs]
            n = {s: states.count(s) for s in counted}
            rows.append((case, profile, len(states), *n.values(),
                         len(states) - sum(n.values())))
        others = [rs.state for rs in iter_runs(proj.runs, case) if rs.run_id not in planned]
        if others and len(profiles) > 1:
            n = {s: others.count(s) for s in counted}
            rows.append((case, "(other)", len(others), *n.values(),
                         len(others) - sum(n.values())))
    return rows


def cmd_status(args: argparse.Namespace) -> int:
    proj = Project.at(args.root, args.runs)
    profiles = (args.profile,) if args.profile else PROFILES
    rows = status_table(proj, args.cases or None, profiles)
    header = ("case", "profile", "planned", "done", "failed", "running", "pending")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
    if not rows:
        print(f"no params/*.yaml under {proj.root}: no case studies to sweep yet")
    if args.failed:
        from casestudies.store import FAILED, Status, iter_runs, read_json

        for rs in iter_runs(proj.runs):
            if rs.state == Status.FAILED and (not args.cases or rs.case in args.cases):
                err = read_json(rs.path / FAILED)
                cell = f" in cell {err['cell_index']}" if "cell_index" in err else ""
                print(f"FAILED {rs.case}/{rs.run_id}{cell}: {err.get('ename')}: {err.get('evalue')}")
                print(f"       notebook: {rs.path / 'notebook.ipynb'}")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from casestudies.store import clean_incomplete

    proj = Project.at(args.root, args.runs)
    removed = clean_incomplete(proj.runs, args.case, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for p in removed:
        print(f"{verb} {p}")
    print(f"{verb} {len(removed)} incomplete or failed run(s); done and running runs are kept")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from casestudies.report import build_report

    proj = Project.at(args.root, args.runs)
    out = build_report(proj, profile=args.profile, out_dir=Path(args.out) if args.out else None,
                       run_pages=not args.no_run_pages, progress=not args.no_progress,
                       companions=not args.no_companions, force=args.force, build_id=args.build)
    print(f"whitepaper: {out}")
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    from casestudies.buildlog import record_stage
    from casestudies.reportparts import fmt_seconds

    proj = Project.at(args.root, args.runs)
    row = record_stage(proj.runs, args.build, args.name, args.since, profile=args.profile)
    print(f"stage {args.name}: {fmt_seconds(row['seconds'])}")
    return 0


def _external(name: str) -> tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]:
    mod = importlib.import_module(EXTERNAL[name][0])
    return mod.add_arguments, mod.run


def build_parser(with_external: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="casestudies",
        description="Synthetic-face case studies: sweep notebooks over parameter grids, keep run records, "
        "and build the HTML whitepaper.",
    )
    p.add_argument("--version", action="version", version=f"casestudies {__version__}")
    p.add_argument("--root", help="project root holding notebooks/ and params/ (default: current directory)")
    p.add_argument("--runs", help="run store (default: <root>/runs, or $CASESTUDIES_RUNS)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("sweep", help="execute one papermill run per grid point of a case's profile")
    s.add_argument("case", help="case key, e.g. face_segmentation (its notebook and params/<case>.yaml)")
    s.add_argument("--profile", choices=PROFILES, default="default")
    s.add_argument("--params", help="another params YAML instead of params/<case>.yaml")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter for every run")
    s.add_argument("--grid", action="append", metavar="KEY=V1,V2", help="replace or add one grid axis")
    s.add_argument("--executor", default="local", help="'local' (process pool) or 'dask://HOST:PORT'")
    s.add_argument("--jobs", type=int, help="parallel runs (default: cores / threads)")
    s.add_argument("--threads", type=int, help="threads per run (default: cores / jobs)")
    s.add_argument("--timeout", type=float, help="per-cell timeout in seconds")
    s.add_argument("--dry-run", action="store_true", help="validate and list the runs, execute nothing")
    s.add_argument("--no-progress", action="store_true")
    s.add_argument("--fresh-kernels", action="store_true",
                   help="start a new kernel for every run (default: a worker reuses its kernel, names cleared)")
    s.set_defaults(func=cmd_sweep)

    st = sub.add_parser("status", help="done / failed / running / pending runs per case and profile")
    st.add_argument("cases", nargs="*")
    st.add_argument("--profile", choices=PROFILES)
    st.add_argument("--failed", action="store_true", help="also list each failed run with its error and notebook")
    st.set_defaults(func=cmd_status)

    r = sub.add_parser("report", help="render notebooks/whitepaper.py and the run notebooks to HTML")
    r.add_argument("--profile", choices=PROFILES, default="default", help="profile named in the provenance block")
    r.add_argument("--out", help="output folder (default: report/_build)")
    r.add_argument("--no-run-pages", action="store_true", help="skip rendering each run's notebook")
    r.add_argument("--no-companions", action="store_true", help="skip the generator gallery page")
    r.add_argument("--no-progress", action="store_true")
    r.add_argument("--force", action="store_true", help="execute everything again even where its inputs are unchanged")
    r.add_argument("--build", help="build id (make report's): log the run pages and companions as its stages")
    r.set_defaults(func=cmd_report)

    c = sub.add_parser("clean", help="remove incomplete and failed runs (never done or running ones)")
    c.add_argument("case", nargs="?")
    c.add_argument("--dry-run", action="store_true")
    c.set_defaults(func=cmd_clean)

    g = sub.add_parser("stage", help="log a finished stage of a build (make report) in <runs>/build_log.jsonl")
    g.add_argument("name", help="stage name, e.g. install or 'sweep face_segmentation'")
    g.add_argument("--build", required=True, help="id shared by the stages of one build, e.g. its UTC start time")
    g.add_argument("--since", type=float, required=True, help="when the stage started, Unix seconds")
    g.add_argument("--profile", default="", help="profile the build is for")
    g.set_defaults(func=cmd_stage)

    for name, (_, help_text) in EXTERNAL.items():
        e = sub.add_parser(name, help=help_text, add_help=with_external == name)
        if with_external == name:
            add_arguments, run = _external(name)
            add_arguments(e)
            e.set_defaults(func=run)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    positional = [a for a in argv if not a.startswith("-")]
    external = next((a for a in positional if a in EXTERNAL), None)
    try:
        parser = build_parser(with_external=external)
    except ImportError as e:
        print(f"casestudies {external}: not available: {e}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ParameterError as e:
        print(f"parameter error: {e}", file=sys.stderr)
        return 2
    except UnknownNameError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
