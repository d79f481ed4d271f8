"""A throwaway tenant app for bench/fleet_migrate.py: one model, and the new migration it times (one AddField)."""
