"""Data migration: carry the old per-session counters over to CountedSession,
so sessions open during the upgrade are not counted twice."""

from django.db import migrations

COPY = """
INSERT INTO usage_countedsession (radacctid, input_octets, output_octets, acctupdatetime, closed)
SELECT c.radacctid, c.input_octets, c.output_octets,
       COALESCE(r.acctupdatetime, now()), r.acctstoptime IS NOT NULL
FROM usage_sessioncounter c
LEFT JOIN radacct r ON r.radacctid = c.radacctid
ON CONFLICT (radacctid) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [("usage", "0004_countedsession"), ("radius", "0004_alter_nas_type_accessblock")]

    operations = [migrations.RunSQL(COPY, migrations.RunSQL.noop)]
