"""SQL that migrations run (functions, triggers) lives in `<app>/sql/<name>_v<N>.sql`, not in Python strings.

A migration loads the version it was written with, forever: never edit a file a migration loads (tenants migrated
earlier keep the old body, new ones would get the new one). A change is a new file (`post_move_v3.sql`) and a new
migration that loads it. The provisioning template's fingerprint (tenants.schema_template) includes every such
file's text, so a file edited in place anyway rebuilds the template instead of copying a stale function into new
tenants.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import import_module
from pathlib import Path


def sql_path(app: str, name: str) -> Path:
    module_file = import_module(app).__file__
    assert module_file is not None
    return Path(module_file).parent / "sql" / name


def load_sql(app: str, name: str) -> str:
    """The text of `<app>/sql/<name>` (e.g. load_sql("inventory", "post_move_v2.sql"))."""
    return sql_path(app, name).read_text(encoding="utf-8")


@functools.cache
def sql_files_digest() -> str:
    """`sql_dirs_digest` of every installed app. The code does not change while the process runs."""
    from django.apps import apps

    return sql_dirs_digest({config.label: Path(config.path, "sql") for config in apps.get_app_configs()})


def sql_dirs_digest(dirs: dict[str, Path]) -> str:
    """sha256 over the name and text of every *.sql file in `dirs` ({app label: its sql directory})."""
    digest = hashlib.sha256()
    for label in sorted(dirs):
        for path in sorted(dirs[label].glob("*.sql")):
            digest.update(f"{label}/{path.name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
