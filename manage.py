#!/usr/bin/env python
"""Django's command-line utility for QMS Portal.

In development (DEBUG=true) without DATABASE_URL it starts, or reuses, the embedded PostgreSQL under data/pg and
passes its URL on: the settings themselves never start a server, and without DEBUG a missing DATABASE_URL stops
every command with a clear message."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")
    development = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    if (development and not os.environ.get("DATABASE_URL")
            and os.environ["DJANGO_SETTINGS_MODULE"] == "qms.settings"):
        from qms.embedded import embedded_database_url

        os.environ["DATABASE_URL"] = embedded_database_url(os.environ.get("QMS_EMBEDDED_DB_NAME", "qms"))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
