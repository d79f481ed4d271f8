"""CSV import of items: the upload is stored and checked, a Celery task imports it one row per transaction."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import DomainError
from core.numbers import parse_quantity, plain_number_error
from core.users import User, acting_user
from customfields.services import definitions
from inventory.models import Item, ItemImport, UnitOfMeasure
from inventory.selectors import item_by_sku
from inventory.services.errors import (
    ImportRefused,
)
from inventory.services.master_data import item_create, item_update

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_COLUMNS = (
    "sku",
    "name",
    "uom",
    "kind",
    "description",
    "reorder_point",
    "reorder_quantity",
    "lead_time_days",
    "standard_cost",
    "active",
)
CUSTOM_FIELD_PREFIX = "cf_"  # cf_<key>: a custom field of items (customfields), as in the API's ?cf_<key>= filter
ATTRIBUTE_PREFIX = "attr."  # the same, as files written before custom fields had definitions named them
_PROGRESS_EVERY = 50


def item_import_create(*, file_name: str, data: bytes, user: User) -> ItemImport:
    """Store an uploaded CSV and queue its import once committed; the header is checked now, rows by the task."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text; save it as CSV UTF-8", field="file") from None
    header = next(csv.reader(io.StringIO(text)), None)
    _check_header(header)
    from inventory.tasks import import_items

    with transaction.atomic():
        job = ItemImport.objects.create(
            file_name=file_name[:255],
            content=text,
            total_rows=max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0),
            created_by=acting_user(user),
        )
        audit_record(
            user=user,
            action="inventory.item_import_create",
            obj=job,
            changes={"file_name": [None, job.file_name], "total_rows": [None, job.total_rows]},
        )
        transaction.on_commit(lambda: import_items.delay(job.pk))
    return job


def custom_key(column: str) -> str | None:
    """The custom field's key a column names (cf_<key>, or attr.<key> in older files), or None."""
    for prefix in (CUSTOM_FIELD_PREFIX, ATTRIBUTE_PREFIX):
        if column.startswith(prefix):
            return column[len(prefix) :]
    return None


def _check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise ImportRefused("the file is empty; the first line must name the columns (sku, name, uom, ...)")
    columns = [column.strip().lower() for column in header]
    unknown = [c for c in columns if c not in IMPORT_COLUMNS and custom_key(c) is None]
    if unknown:
        raise ImportRefused(
            f"unknown column(s) {', '.join(unknown)}: use {', '.join(IMPORT_COLUMNS)} or cf_<custom field key>",
            field="file",
        )
    keys = [key for c in columns if (key := custom_key(c)) is not None]
    if keys:
        defined = {d.key for d in definitions("item")}
        undefined = [key for key in keys if key not in defined]
        if undefined:
            raise ImportRefused(
                f"column(s) {', '.join(CUSTOM_FIELD_PREFIX + key for key in undefined)} name no custom field of items "
                f"(defined: {', '.join(sorted(defined)) or 'none yet'}; a tenant admin adds them)",
                field="file",
            )
        if len(set(keys)) != len(keys):
            raise ImportRefused("a custom field has more than one column (cf_<key> and attr.<key>)", field="file")
    if "sku" not in columns:
        raise ImportRefused("the first line must name a sku column", field="file")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise ImportRefused(f"column(s) {', '.join(duplicates)} appear more than once", field="file")
    return columns


def item_import_run(*, job_id: int) -> ItemImport:
    """Run a CSV import, one row per transaction: valid rows are kept, each bad row is recorded as
    {line, sku, reason} and skipped. A row creates the item for an unknown SKU (name and uom required) or updates
    the item with that SKU (empty cells leave its fields unchanged). A file whose header is wrong fails as a whole.
    """
    with transaction.atomic():
        job = ItemImport.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job  # a redelivered task does not import twice
        # Pending, or running when a worker died mid-way: rows are upserts by SKU, so starting over is safe.
        job.status, job.started_at = ItemImport.Status.RUNNING, timezone.now()
        job.processed_rows = job.created_count = job.updated_count = 0
        job.errors = []
        job.save(update_fields=["status", "started_at", "processed_rows", "created_count", "updated_count", "errors"])

    reader = csv.reader(io.StringIO(job.content))
    try:
        columns = _check_header(next(reader, None))
    except ImportRefused as exc:
        job.status, job.failure, job.finished_at = ItemImport.Status.FAILED, exc.message, timezone.now()
        job.save(update_fields=["status", "failure", "finished_at"])
        return job

    units = {unit.code.lower(): unit for unit in UnitOfMeasure.objects.all()}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            job.processed_rows += 1
            continue
        row = dict(zip(columns, (_uncell(cell.strip()) for cell in cells), strict=False))
        try:
            if len(cells) > len(columns):
                raise ImportRefused(f"{len(cells)} cells but the header names {len(columns)} columns")
            created = _import_row(row, units, user=job.created_by)
        except (DomainError, ValidationError) as exc:
            job.errors.append({"line": line, "sku": row.get("sku", ""), "reason": _reason(exc)})
        else:
            if created:
                job.created_count += 1
            else:
                job.updated_count += 1
        job.processed_rows += 1
        if job.processed_rows % _PROGRESS_EVERY == 0:
            job.save(update_fields=["processed_rows", "created_count", "updated_count", "errors"])
    job.total_rows = max(job.total_rows, job.processed_rows)
    job.status, job.finished_at = ItemImport.Status.DONE, timezone.now()
    job.save()
    return job


def _uncell(cell: str) -> str:
    """A cell as typed: the apostrophe a spreadsheet (or our export) puts before "=", "+", "-" or "@" to keep the
    text from running as a formula is not part of the value."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        return " ".join(exc.messages)
    return exc.message


_IMPORT_DECIMALS = ("reorder_point", "reorder_quantity", "standard_cost")


def _import_row(row: dict[str, str], units: dict[str, UnitOfMeasure], *, user: User) -> bool:
    """Create or update one item from a CSV row, recorded under `user` (who uploaded the file); True when created."""
    sku = row.get("sku", "")
    if not sku:
        raise ImportRefused("sku is empty")
    fields: dict[str, object] = {}
    for name in ("name", "description"):
        if row.get(name):
            fields[name] = row[name]
    if row.get("uom"):
        if row["uom"].lower() not in units:
            raise ImportRefused(f"unknown unit {row['uom']!r}: use one of {', '.join(sorted(units))}")
        fields["uom"] = units[row["uom"].lower()]
    if row.get("kind"):
        kinds = {value: value for value in Item.Kind.values} | {label.lower(): v for v, label in Item.Kind.choices}
        if row["kind"].lower() not in kinds:
            raise ImportRefused(f"unknown kind {row['kind']!r}: use one of {', '.join(Item.Kind.values)}")
        fields["kind"] = kinds[row["kind"].lower()]
    for name in _IMPORT_DECIMALS:
        if row.get(name):
            fields[name] = parse_quantity(row[name], field=name, allow_zero=True)
    if row.get("lead_time_days"):
        if plain_number_error(row["lead_time_days"], whole=True):  # str.isdigit() takes any Unicode digit
            raise ImportRefused(f"lead_time_days {row['lead_time_days']!r} is not a whole number of days")
        fields["lead_time_days"] = int(row["lead_time_days"])  # at most MAX_LEAD_TIME_DAYS: the model validates
    if row.get("active"):
        flag = row["active"].lower()
        if flag not in {"1", "0", "true", "false", "yes", "no"}:
            raise ImportRefused(f"active {row['active']!r} must be yes or no")
        fields["is_active"] = flag in {"1", "true", "yes"}
    # Custom values (validated by the item services against the definitions); an empty cell keeps the item's value.
    attributes = {key: value for column, value in row.items() if (key := custom_key(column)) is not None and value}

    with transaction.atomic():
        # FOR NO KEY UPDATE: stock writers' key-share locks on the item go on (inventory.services.locking).
        item = item_by_sku(sku).select_for_update(no_key=True).first()
        if item is None:
            missing = [name for name in ("name", "uom") if name not in fields]
            if missing:
                raise ImportRefused(f"new item {sku} needs {' and '.join(missing)}")
            item_create(sku=sku, user=user, attributes=attributes, **fields)
            return True
        if attributes:
            fields["attributes"] = attributes  # item_update changes these keys and keeps the others
        item_update(item=item, user=user, **fields)
        return False
