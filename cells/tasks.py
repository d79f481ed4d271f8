"""Cells' periodic work: dropping the source schemas that moved tenants left behind, once their grace has ended."""

from celery import shared_task


@shared_task(name="cells.finish_moves", ignore_result=True)
def finish_moves_task() -> int:
    """Drop every kept source whose `drop_source_after` has passed (idempotent: a move is finished once)."""
    from cells.move import move_finish

    return len(move_finish(actor="beat:cells.finish_moves"))
