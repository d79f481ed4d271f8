"""Both sides compared table by table: row count and an order-independent checksum of the rows' text, the same
digest a backup records (fleet.backup.snapshot.table_digests), computed on the two servers at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg

from cells.move.errors import MoveError
from fleet.backup.archive import TableDigest
from fleet.backup.snapshot import table_digests


def digests(conn: psycopg.Connection, schema_name: str) -> dict[str, TableDigest]:
    with conn.cursor() as cursor:
        return table_digests(cursor, schema_name)


def compare(source: psycopg.Connection, target: psycopg.Connection, schema_name: str) -> dict[str, int]:
    """Row counts per table when both sides hold the same rows; MoveError naming the first tables that differ."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        on_source = pool.submit(digests, source, schema_name)
        on_target = pool.submit(digests, target, schema_name)
        left, right = on_source.result(), on_target.result()
    differ = sorted(name for name in left.keys() | right.keys() if left.get(name) != right.get(name))
    if differ:
        shown = ", ".join(
            f"{name} ({getattr(left.get(name), 'rows', '-')} vs {getattr(right.get(name), 'rows', '-')} rows)"
            for name in differ[:3]
        )
        raise MoveError(f"the copy of {schema_name} differs from its source: {shown}; the move is rolled back")
    return {name: digest.rows for name, digest in left.items()}
