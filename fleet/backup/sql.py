"""The dump's SQL on its way into a scratch schema: renamed, checked statement by statement, and run as a role that
may create only there."""

from __future__ import annotations

import re

from fleet.backup.archive import _DROPPED_LINE, BackupError
from tenants import db_roles, schema_template


def _qualified_name_pattern(schema_name: str) -> re.Pattern:
    # Only schema-qualified references (`old.` or `"old".`): a column or table that happens to share the schema's
    # name is left alone.
    return re.compile(rf'(?<![\w"$.])(?:{re.escape(schema_name)}|"{re.escape(schema_name)}")(?=\.)')


def dump_parts(dump: str, old: str, new: str) -> list[tuple[str, str, str]]:
    """The dump as ("sql", statements, "") and ("copy", COPY statement, data) parts, renamed from `old` to `new`.

    Session settings, psql meta-commands, comments and CREATE SCHEMA are dropped outside COPY data; the data is
    passed through untouched (a row mentioning the old schema name stays as it was).
    """
    pattern = _qualified_name_pattern(old)
    target = schema_template.quote(new)
    parts: list[tuple[str, str, str]] = []
    sql: list[str] = []
    data: list[str] | None = None
    header = ""
    for line in dump.split("\n"):
        if data is not None:
            if line == "\\.":
                parts.append(("copy", header, "".join(f"{row}\n" for row in data)))
                data = None
            else:
                data.append(line)
        elif line.startswith("COPY ") and line.endswith(" FROM stdin;"):
            if sql:
                parts.append(("sql", "\n".join(sql), ""))
                sql = []
            header = pattern.sub(target, line)[: -len(";")]
            data = []
        elif line and not _DROPPED_LINE.match(line):
            # The file never decides what runs as the owner: its functions are created as invokers, and the definer
            # functions the code declares are re-created from the template (definer_functions_from_the_code).
            sql.append(_DEFINER.sub("SECURITY INVOKER", pattern.sub(target, line)))
    if data is not None:
        raise BackupError("the dump ends inside a COPY block; the backup file is truncated")
    if sql:
        parts.append(("sql", "\n".join(sql), ""))
    return parts


_DEFINER = re.compile(r"\bSECURITY\s+DEFINER\b", re.IGNORECASE)

# What pg_dump writes for a tenant schema (with --no-owner --no-privileges); any other statement kind is refused.
_ALLOWED_STATEMENT = re.compile(
    r"^(CREATE (TABLE|SEQUENCE|(UNIQUE )?INDEX|FUNCTION|(CONSTRAINT )?TRIGGER|TYPE)|ALTER (TABLE|SEQUENCE|INDEX)"
    r"|COMMENT ON|SELECT pg_catalog\.setval\()",
    re.IGNORECASE,
)
# Ways out of the restricted role, or code that would run as someone else later; refused anywhere outside COPY data.
_FORBIDDEN = re.compile(
    r"\b(RE)?SET\s+(LOCAL\s+|SESSION\s+)?ROLE\b|\bSESSION\s+AUTHORIZATION\b|\bset_config\b|\bSECURITY\s+DEFINER\b"
    r"|\bEXECUTE\b(?!\s+(FUNCTION|PROCEDURE)\b)|\bdblink|\blo_(import|export)\b|\bpg_read_|\bCOPY\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"(\$[A-Za-z_]*\$)|'|\"|;|--|/\*")


def statements(text: str) -> list[str]:
    """Split SQL into statements on `;` outside quotes, dollar quotes and comments (pg_dump's plain output)."""
    out: list[str] = []
    start = position = 0
    while True:
        match = _TOKEN.search(text, position)
        if match is None:
            break
        token = match.group(0)
        if token == ";":  # noqa: S105 - a SQL token, not a password
            out.append(text[start : match.end()].strip())
            start = position = match.end()
            continue
        closing = {"'": "'", '"': '"', "--": "\n", "/*": "*/"}.get(token, token)
        end = text.find(closing, match.end())
        if end < 0:
            raise BackupError("the dump has an unterminated quote or comment; nothing restored")
        position = end + len(closing)
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return [statement for statement in out if statement]


def _check_statements(parts: list[tuple[str, str, str]], schema_name: str) -> None:
    """Refuse, before anything runs, a dump with statements pg_dump would not write or that could escape the role."""
    copy_header = re.compile(
        rf'^COPY {re.escape(schema_template.quote(schema_name))}\.("[^"]+"|\w+) \([^;]*\) FROM stdin$'
    )
    for kind, text, _data in parts:
        if kind == "copy":
            if not copy_header.match(text):
                raise BackupError(f"the dump copies into something other than the tenant's own tables: {text[:80]!r}")
            continue
        for statement in statements(text):
            if not _ALLOWED_STATEMENT.match(statement) or _FORBIDDEN.search(statement):
                first = " ".join(statement.split())[:80]
                raise BackupError(f"the dump has a statement a tenant backup never holds: {first!r}; nothing restored")


def _run_dump_as_restricted_role(cursor, parts: list[tuple[str, str, str]], schema_name: str) -> None:
    """Replay the dump as a role of its own that may create only in `schema_name`; then give the owner what it
    created, as provisioning leaves a schema, and drop the role (the tenant's own role is granted at the swap)."""
    role = schema_template.quote(db_roles.role_name(schema_name))
    schema = schema_template.quote(schema_name)
    cursor.execute(f"CREATE ROLE {role} NOLOGIN NOINHERIT; GRANT {role} TO CURRENT_USER")
    cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}")
    # SET LOCAL: a failure aborts the transaction, whose rollback ends the role with it.
    cursor.execute(f"SET LOCAL ROLE {role}")
    for kind, text, data in parts:
        if kind == "sql":
            cursor.execute(text)
        else:
            with cursor.copy(text) as copy:
                copy.write(data)
    cursor.execute("RESET ROLE")
    cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
    cursor.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")


# A restore builds its schema under this prefix, then renames it into place. Restores hold _RESTORE_LOCK_KEY shared
# for their whole life; one that gets it alone drops the scratch schemas a killed restore left.


_DEFINER_FUNCTIONS = (
    "SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s AND p.prosecdef"
)
_FUNCTIONS = (
    "SELECT p.proname, pg_get_function_identity_arguments(p.oid)"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s"
)


def definer_functions_from_the_code(cursor, schema_name: str) -> None:
    """Give the restored schema the code's SECURITY DEFINER functions, bodies and all, from the template schema.

    A definer function runs as the owner, so its body must never come from a file: every definer function of the
    template replaces the restored function of the same signature, and a definer function the template does not
    have (one smuggled past the text checks) refuses the restore. The search path is pinned to the schema's final
    name when its role is granted (tenants.db_roles.pin_definer_functions). Run as the owner, after migrations."""
    template = schema_template.template_schema()
    cursor.execute(_DEFINER_FUNCTIONS, [template])
    code = {(name, arguments): definition for name, arguments, definition in cursor.fetchall()}
    cursor.execute(_DEFINER_FUNCTIONS, [schema_name])
    smuggled = sorted(name for name, arguments, _ in cursor.fetchall() if (name, arguments) not in code)
    if smuggled:
        raise BackupError(f"the dump defines functions that would run as the owner ({', '.join(smuggled[:3])}); "
                          "nothing restored")  # fmt: skip
    cursor.execute(_FUNCTIONS, [schema_name])
    present = set(cursor.fetchall())
    for (name, arguments), definition in code.items():
        if (name, arguments) not in present:
            continue
        header = f"CREATE OR REPLACE FUNCTION {schema_template.quote(template)}."
        if not definition.startswith(header):
            header = f"CREATE OR REPLACE FUNCTION {template}."
        if not definition.startswith(header):
            raise BackupError(f"cannot re-create function {name} from the template; nothing restored")
        definition = f"CREATE OR REPLACE FUNCTION {schema_template.quote(schema_name)}." + definition[len(header) :]
        definition = definition.replace(f"search_path TO '{template}'", f"search_path TO '{schema_name}'", 1)
        cursor.execute(definition)
