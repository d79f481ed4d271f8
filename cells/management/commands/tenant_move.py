import getpass
import os
import signal
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from cells.models import TenantMove
from cells.move import MoveError, move_abort, move_finish, runner, tenant_move
from core.errors import DomainError
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Move a tenant's schema to another cell while it stays live (a write freeze of a few seconds at the end); "
        "--dry-run shows the plan, --abort rolls back a move a killed run left, --finish drops kept sources."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", nargs="?", help="the tenant (optional with --finish: every move whose grace ended)")
        parser.add_argument("--to", dest="target", metavar="CELL", help="the cell to move to")
        parser.add_argument("--dry-run", action="store_true", help="report the plan and sizes; change nothing")
        parser.add_argument(
            "--drop-source-after",
            type=float,
            metavar="SECONDS",
            help="keep the source schema this long after the flip (default: CELLS_MOVE_GRACE_SECONDS)",
        )
        parser.add_argument("--abort", action="store_true", help="roll back the tenant's unfinished move")
        parser.add_argument(
            "--finish", action="store_true", help="drop kept source schemas now (the tenant's, or all that are due)"
        )
        parser.add_argument(
            "--stop-after",
            metavar="STEP",
            choices=runner.STEPS,
            help="drill: the process kills itself (SIGKILL) right after STEP; the next run rolls back and moves again",
        )
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (recorded)")

    def handle(self, *args, **options) -> None:
        try:
            self._handle(options)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _handle(self, options) -> None:
        actor = options["actor"]
        tenant = None
        if options["slug"]:
            tenant = Tenant.objects.filter(slug=options["slug"]).first()
            if tenant is None:
                raise CommandError(f"no tenant {options['slug']!r}")
        if options["finish"]:
            moves = None
            if tenant is not None:
                moves = list(TenantMove.objects.filter(tenant=tenant, state=TenantMove.State.FLIPPED))
                if not moves:
                    raise CommandError(f"tenant {tenant.slug!r} has no moved-away source to drop")
            if moves:
                done = [finished for move in moves for finished in move_finish(actor=actor, move=move)]
            else:
                done = move_finish(actor=actor)
            for move in done:
                self.stdout.write(f"move #{move.pk} {move.tenant_slug}: source on {move.source} dropped")
            if not done:
                self.stdout.write("no kept source is due")
            return
        if tenant is None:
            raise CommandError("name the tenant: tenant_move <slug> --to <cell>")
        if options["abort"]:
            aborted = move_abort(tenant=tenant, actor=actor)
            none = f"tenant {tenant.slug!r} has no unfinished move"
            self.stdout.write(f"move #{aborted.pk} rolled back" if aborted else none)
            return
        if not options["target"]:
            raise CommandError("--to CELL is required")
        if options["stop_after"]:
            stop = options["stop_after"]

            def hook(step: str, phase: str) -> None:
                if step == stop and phase == "done":
                    self.stderr.write(f"killed after {step} (--stop-after); run tenant_move again to recover")
                    self.stderr.flush()
                    os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind: what a crash leaves

            runner.STEP_HOOK = hook
        grace = options["drop_source_after"]
        try:
            move = tenant_move(tenant=tenant, target=options["target"], actor=actor, dry_run=options["dry_run"],
                               drop_source_after=timedelta(seconds=grace) if grace is not None else None)  # fmt: skip
        finally:
            runner.STEP_HOOK = None
        if move.dry_run:
            self._print_plan(move)
            return
        kept = f"kept until {move.drop_source_after:%Y-%m-%d %H:%M}"
        if move.state == TenantMove.State.FINISHED:
            kept = "dropped"
        self.stdout.write(
            f"move #{move.pk} {tenant.slug}: {move.source} -> {move.target} in {sum(move.timings.values()):.1f} s, "
            f"writes frozen {move.freeze_seconds:.2f} s, {move.changes_applied} change(s) caught up, "
            f"{len(move.counts.get('tables', {}))} tables verified; source {kept}"
        )

    def _print_plan(self, move: TenantMove) -> None:
        plan = move.timings
        self.stdout.write(
            f"dry run #{move.pk}: move {move.tenant_slug} (schema {move.schema_name}) from {move.source} to "
            f"{move.target}: {plan['tables']} tables, {plan['sequences']} sequences, {plan['bytes'] / 1e6:.1f} MB, "
            f"copy about {plan['estimated_copy_seconds']} s; nothing changed"
        )
        for name, size in sorted(move.counts.items(), key=lambda item: -item[1]["bytes"])[:10]:
            self.stdout.write(f"  {name}: ~{size['rows']} rows, {size['bytes'] / 1e3:.0f} kB")


__all__ = ["Command", "MoveError"]
