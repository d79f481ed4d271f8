"""Cells: the fleet spread over several PostgreSQL servers (or databases), each tenant living in exactly one.

A cell is a database the product connects to, named in the `CELLS` setting. The control plane (the public schema of
the `default` database: tenant registry, fleet operations) records each tenant's cell (`Tenant.cell`). With `CELLS`
unset there is one cell, `default`, the control plane's own database: a single-server install changes nothing.
"""
