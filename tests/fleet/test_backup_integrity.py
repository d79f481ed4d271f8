"""Backups you can trust: a damaged or tampered file is refused whole before the database is touched, and a dump's SQL
can change nothing but the tenant being restored."""

import hashlib
import os
import stat

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from access.services import api_key_create
from fleet.backup import read_backup, write_archive
from fleet.models import TenantArchive
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db, committed_tenants

db = committed_db
pytestmark = pytest.mark.usefixtures("db")

SLUG = "bk-int"


@pytest.fixture(scope="module")
def backup_file(tmp_path_factory, django_db_setup, django_db_blocker):
    """One real backup of a committed tenant with an API key and a known password, shared by the module's tests."""
    path = tmp_path_factory.mktemp("backups") / f"{SLUG}.tar.gz"
    with committed_tenants(django_db_blocker, SLUG) as (tenant,), django_db_blocker.unblock():
        with tenant_context(tenant):
            user = get_user_model().objects.create_user("integrator", password="integrator-pass-1")
            key = api_key_create(name="sync", scope="read_only", user=user, created_by=None).key
        connection.set_schema_to_public()
        call_command("tenant_backup", SLUG, "-o", str(path))
        TenantArchive.objects.filter(tenant_slug=SLUG).delete()
    yield path, key


def _nothing_created(slug: str) -> bool:
    connection.set_schema_to_public()
    return not Tenant.objects.filter(slug=slug).exists() and not schema_exists(slug.replace("-", "_"))


def _refused(path, slug: str, match: str) -> None:
    with pytest.raises(CommandError, match=match) as refused:
        call_command("tenant_restore", str(path), "--as", slug)
    assert "\n" not in str(refused.value)
    assert _nothing_created(slug)


def _copy_with(tmp_path, source, data: bytes, *, record_sha: bool):
    """`data` written as a backup file; with `record_sha` its sidecar records data's own sha256 (a re-recorded file),
    else the original's (as written at backup time)."""
    path = tmp_path / "damaged.tar.gz"
    path.write_bytes(data)
    sidecar = path.with_name(path.name + ".sha256")
    recorded = (
        hashlib.sha256(data).hexdigest() if record_sha else (source.with_name(source.name + ".sha256")).read_text()
    )
    sidecar.write_text(recorded if not record_sha else f"{recorded}  {path.name}\n")
    return path


def test_an_archive_is_written_0600_with_its_sha256_beside_it(backup_file):
    path, _key = backup_file
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    recorded = path.with_name(path.name + ".sha256").read_text().split()[0]
    assert recorded == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("keep", [10, 200, 0.5, -40, -8, -1])
def test_a_truncated_archive_is_refused_in_one_line_and_creates_nothing(backup_file, tmp_path, keep):
    path, _key = backup_file
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    _refused(_copy_with(tmp_path, path, data[:cut], record_sha=False), "bk-trunc", "does not match the sha256")


@pytest.mark.parametrize("keep", [10, 0.5, -8, -1])
def test_a_truncated_archive_with_a_rerecorded_sha256_fails_the_gzip_check(backup_file, tmp_path, keep):
    path, _key = backup_file
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    _refused(_copy_with(tmp_path, path, data[:cut], record_sha=True), "bk-trunc2", "is damaged")


@pytest.mark.parametrize("offset", [3, 40, 0.25, 0.5, 0.9, -8, -6, -3])
def test_a_flipped_byte_is_refused_in_one_line_and_creates_nothing(backup_file, tmp_path, offset):
    path, _key = backup_file
    data = bytearray(path.read_bytes())
    at = int(len(data) * offset) if isinstance(offset, float) else offset % len(data)
    data[at] ^= 0x5A
    _refused(_copy_with(tmp_path, path, bytes(data), record_sha=False), "bk-flip", "does not match the sha256")


@pytest.mark.parametrize("offset", [-8, -6, -3, -1])
def test_a_flip_in_the_gzip_trailer_is_refused_even_with_a_rerecorded_sha256(backup_file, tmp_path, offset):
    """The trailer holds the CRC32 (-8..-5) and the length (-4..-1): the whole stream is read and both checked."""
    path, _key = backup_file
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    _refused(_copy_with(tmp_path, path, bytes(data), record_sha=True), "bk-trailer", "is damaged")


def test_an_archive_without_a_recorded_sha256_is_refused(backup_file, tmp_path):
    path, _key = backup_file
    bare = tmp_path / "bare.tar.gz"
    bare.write_bytes(path.read_bytes())
    _refused(bare, "bk-bare", "no recorded sha256")


def test_a_dump_that_differs_from_its_manifest_is_refused(backup_file, tmp_path):
    """A file re-packed by hand with a changed dump and a stale manifest (sidecar re-recorded): the member check."""
    import gzip
    import io
    import tarfile

    path, _key = backup_file
    backup = read_backup(path)
    good = tmp_path / "good.tar.gz"
    write_archive(good, backup.manifest, backup.dump)
    members = {}
    with tarfile.open(good, "r:gz") as archive:
        for member in archive:
            members[member.name] = archive.extractfile(member).read()
    members["schema.sql"] = members["schema.sql"].replace(b"CREATE TABLE", b"CREATE  TABLE", 1)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    _refused(_copy_with(tmp_path, path, gzip.compress(buffer.getvalue()), record_sha=True), "bk-member", "manifest")


@pytest.mark.parametrize(
    ("edit", "victim_sql"),
    [
        ("CREATE TABLE public.bk_planted (id int);", "SELECT to_regclass('public.bk_planted')"),
        ("ALTER TABLE bk_victim.auth_user ADD COLUMN planted int;",
         "SELECT 1 FROM information_schema.columns WHERE table_schema = 'bk_victim' AND column_name = 'planted'"),
    ],
)  # fmt: skip
def test_a_dump_that_reaches_outside_its_schema_is_stopped_by_the_tenant_role(
    backup_file, tmp_path, django_db_blocker, edit, victim_sql
):
    """A valid file (manifest and sha256s re-recorded) whose schema.sql has one statement against another schema."""
    path, _key = backup_file
    backup = read_backup(path)
    planted = backup.dump.replace("CREATE TABLE", f"{edit}\nCREATE TABLE", 1)
    assert planted != backup.dump
    forged = tmp_path / "forged.tar.gz"
    write_archive(forged, backup.manifest, planted)
    with committed_tenants(django_db_blocker, "bk-victim"):
        _refused(forged, "bk-forged", "permission denied")
        with connection.cursor() as cursor:
            cursor.execute(victim_sql)
            row = cursor.fetchone()
        assert row is None or row[0] is None


@pytest.mark.parametrize(
    "edit",
    [
        "RESET ROLE;",
        "SELECT set_config('role', 'none', false);",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $x$ SET SESSION AUTHORIZATION DEFAULT $x$;",
        "DO $$ BEGIN EXECUTE 'RESET ' || 'ROLE'; END $$;",
        "CREATE VIEW v AS SELECT * FROM public.auth_user;",
    ],
)
def test_a_dump_with_a_way_out_of_the_tenant_role_is_refused_before_anything_runs(backup_file, tmp_path, edit):
    path, _key = backup_file
    backup = read_backup(path)
    forged = tmp_path / "forged.tar.gz"
    write_archive(forged, backup.manifest, backup.dump.replace("CREATE TABLE", f"{edit}\nCREATE TABLE", 1))
    _refused(forged, "bk-escape", "never holds")


def test_a_restored_schema_belongs_to_the_owner_and_its_role_cannot_create_there(backup_file, django_db_blocker):
    path, _key = backup_file
    call_command("tenant_restore", str(path), "--as", "bk-owned")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'bk_owned' AND pg_get_userbyid(c.relowner) <> current_user"
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT has_schema_privilege(%s, 'bk_owned', 'CREATE')", [_role("bk_owned")])
            assert cursor.fetchone()[0] is False
    finally:
        _delete("bk-owned")


def test_a_copy_restored_as_another_slug_keeps_no_credential_of_the_original(backup_file):
    path, key = backup_file
    call_command("tenant_restore", str(path), "--as", "bk-copy")
    try:
        copy = Tenant.objects.get(slug="bk-copy")
        host = f"bk-copy.{settings.BASE_DOMAIN}"
        assert Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/items/").status_code == 401
        with tenant_context(copy):
            users = list(get_user_model().objects.all())
            assert users and not any(user.has_usable_password() for user in users)
            assert not get_user_model().objects.get(username="integrator").check_password("integrator-pass-1")
    finally:
        _delete("bk-copy")


def test_a_restore_in_place_keeps_the_credentials(backup_file, django_db_blocker):
    """Not a copy: the same tenant back (after an archive or --replace) keeps its users' passwords and keys."""
    path, key = backup_file
    call_command("tenant_restore", str(path))
    try:
        host = f"{SLUG}.{settings.BASE_DOMAIN}"
        assert Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/items/").status_code == 200
    finally:
        _delete(SLUG)


def _role(schema_name: str) -> str:
    from tenants.db_roles import role_name

    return role_name(schema_name)


def _delete(slug: str) -> None:
    from fleet.models import TenantAuditEvent
    from tenants.services import tenant_delete

    connection.set_schema_to_public()
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None:
        tenant_delete(tenant=tenant)
    TenantAuditEvent.objects.filter(tenant_slug=slug).delete()


def test_with_tenant_roles_off_the_dump_still_runs_under_a_restricted_role(backup_file, tmp_path, settings):
    from tenants.db_roles import role_name

    settings.TENANT_DB_ROLES = False
    path, _key = backup_file
    backup = read_backup(path)
    forged = tmp_path / "forged.tar.gz"
    write_archive(forged, backup.manifest, backup.dump.replace("CREATE TABLE", "CREATE TABLE public.bk_off (id int);\n"
                                                                              "CREATE TABLE", 1))  # fmt: skip
    _refused(forged, "bk-off", "permission denied")
    call_command("tenant_restore", str(path), "--as", "bk-off")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [role_name("bk_off")])
            assert cursor.fetchone()[0] == 0  # the restore's own role is gone again
    finally:
        _delete("bk-off")


def _definer(schema_name: str, function: str) -> tuple[bool, str] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.prosecdef, pg_get_functiondef(p.oid) FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s AND p.proname = %s",
            [schema_name, function],
        )
        return cursor.fetchone()


def test_a_definer_function_is_taken_from_the_code_not_from_the_file(backup_file, tmp_path):
    """inventory_post_move runs as the owner: a body edited in a valid file must not survive the restore."""
    path, _key = backup_file
    backup = read_backup(path)
    planted = backup.dump.replace("v_move bigint;", "v_move bigint; -- planted by the file", 1)
    assert planted != backup.dump
    forged = tmp_path / "forged.tar.gz"
    write_archive(forged, backup.manifest, planted)
    call_command("tenant_restore", str(forged), "--as", "bk-definer")
    try:
        secdef, definition = _definer("bk_definer", "inventory_post_move")
        assert secdef is True
        assert "planted" not in definition
        assert "search_path TO 'bk_definer', 'pg_temp'" in definition
    finally:
        _delete("bk-definer")


def test_a_definer_function_the_code_does_not_have_refuses_the_restore(backup_file, tmp_path):
    """A comment between the keywords slips past the text checks; the function check after the load still refuses."""
    path, _key = backup_file
    backup = read_backup(path)
    edit = "CREATE FUNCTION bk_int.sneaky() RETURNS int LANGUAGE sql SECURITY/**/DEFINER AS $x$ SELECT 1 $x$;"
    forged = tmp_path / "forged.tar.gz"
    write_archive(forged, backup.manifest, backup.dump.replace("CREATE TABLE", f"{edit}\nCREATE TABLE", 1))
    _refused(forged, "bk-sneaky", "would run as the owner")
