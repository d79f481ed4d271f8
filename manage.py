#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")
    # Without DATABASE_URL: the servers `make run` started in this checkout, or a one-line refusal.
    from erp.localservices import use_running_services

    use_running_services(sys.argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
