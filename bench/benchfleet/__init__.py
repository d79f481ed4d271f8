"""A throwaway tenant app for bench/fleet.py: one model, and the new migration the benchmark times (one AddField)."""
