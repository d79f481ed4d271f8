"""Per-tenant backup and restore: one schema and its registry row in one file.

The file is a gzipped tar of `manifest.json` (format, the tenant's registry row and domains, the migrations its
schema has applied, per table a row count and a content checksum, and the sha256 and size of `schema.sql`) and
`schema.sql` (a plain `pg_dump` of the schema alone). The checksums and the dump are taken from the same exported
snapshot, so they describe the same data even while the tenant is being written to. The file is written 0600 (it
holds password and API-key hashes); the sha256 of the whole file goes beside it (`<file>.sha256`, sha256sum's format)
and into the registry (`TenantArchive`).

A restore trusts nothing it has not checked, and checks everything before it touches the database: the whole file
against the sha256 recorded at backup time (the sidecar, else the registry record of that location), the gzip
stream to its end (CRC and length), the tar members (exactly the two, each of the size and sha256 the manifest
records). Any failure is one line, and nothing is created.

The dump is restored into a scratch schema (`_restore_<random>`), its SQL run as a role of its own that may create
only there: a statement that names another schema (`CREATE TABLE public.x`, `ALTER TABLE globex.…`) is refused by
PostgreSQL and that transaction rolls back. Statements that could leave that role (`RESET ROLE`, `set_config`,
`SESSION AUTHORIZATION`, dynamic `EXECUTE`, `SECURITY DEFINER`) and any statement kind pg_dump does not write for a
tenant schema are refused before anything runs. The restored objects are then handed to the owner, as provisioning
leaves them, and every table's count and checksum is compared with the manifest before that transaction commits.
A backup older than the code is then migrated in the scratch schema as `migrate` does, one transaction per
migration (one transaction cannot ALTER a table an earlier data migration wrote to: "pending trigger events"). A
last transaction registers the tenant (row, domains; the registry row first, so two restores or a restore and a
provisioning of one slug queue on it and the loser is told "already taken"), renames the scratch schema into place
and grants the tenant's role. Any failure drops the scratch schema: nothing is left behind; one a killed restore left
is dropped by the next restore that runs alone (restores hold an advisory lock shared while they run).

A copy restored beside the original (`--as`) does not keep its credentials: every API key is revoked, every
password made unusable and every session dropped; admins get one-time links to set a password.
"""

from fleet.backup.archive import FORMAT, Backup, BackupError, BackupResult, read_backup, write_archive
from fleet.backup.restore import set_password_links, tenant_restore
from fleet.backup.snapshot import TableDigest, table_digests, tenant_backup

__all__ = [
    "FORMAT",
    "Backup",
    "BackupError",
    "BackupResult",
    "TableDigest",
    "read_backup",
    "set_password_links",
    "table_digests",
    "tenant_backup",
    "tenant_restore",
    "write_archive",
]
