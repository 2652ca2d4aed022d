"""What the store benchmarks share: where they measure (a new SQLite file, a URL, or a throwaway PostgreSQL)."""

from __future__ import annotations


def add_store_arguments(parser) -> None:
    parser.add_argument("--store", default="", help="a store URL (default: a new SQLite file in a temp folder)")
    parser.add_argument("--postgres", action="store_true",
                        help="on a throwaway PostgreSQL server instead (tests/postgres.py: needs its binaries)")


def run_on_store(args, run) -> None:
    """``run(args)`` with ``args.store`` set to a throwaway PostgreSQL's URL when ``--postgres`` asked for one."""
    if args.postgres:
        from tests.postgres import start_postgres

        with start_postgres() as server:
            args.store = server.database("bench")
            run(args)
    else:
        run(args)
