"""Moving a tenant online between cells: trigger-based change capture, a copy in one snapshot, catch-up passes, a
short write freeze, verification, and the registry flip (see cells.move.runner for the steps)."""

from cells.move.errors import MoveError
from cells.move.runner import move_abort, move_finish, move_plan, tenant_move

__all__ = ["MoveError", "move_abort", "move_finish", "move_plan", "tenant_move"]
