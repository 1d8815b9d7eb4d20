"""Lines imported before ``identity`` existed were unique by their bank reference.

Their identity is derived from that reference, so they stay unique; the
import computes identities from richer data now, so a statement imported
before this migration is not recognised again by a later overlapping one.
"""

import hashlib

from django.db import migrations


def backfill(apps, schema_editor):
    StatementLine = apps.get_model("payments", "StatementLine")
    lines = list(StatementLine.objects.filter(identity="").only("id", "bank_reference"))
    for line in lines:
        key = f"legacy\x1f{line.bank_reference}".encode()
        line.identity = hashlib.sha256(key).hexdigest()
    StatementLine.objects.bulk_update(lines, ["identity"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_statement_line_identity"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
