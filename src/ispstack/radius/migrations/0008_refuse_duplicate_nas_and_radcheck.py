"""Before NAS addresses and radcheck items become unique in the database (next
migration): stop, naming them, if existing rows break either rule, so the
operator fixes the data instead of facing PostgreSQL's error."""

from django.db import migrations

NAS_DUPLICATES = """
SELECT nasname, string_agg(shortname || ' (tenant ' || coalesce(tenant_id::text, '-') || ')',
                           ', ' ORDER BY id)
FROM nas GROUP BY nasname HAVING count(*) > 1
"""
RADCHECK_DUPLICATES = """
SELECT string_agg(DISTINCT username, ' / '), attribute
FROM radcheck GROUP BY lower(username), attribute HAVING count(*) > 1
"""


def refuse_duplicates(apps, schema_editor):
    problems = []
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(NAS_DUPLICATES)
        problems += [f"NAS address {address}: {names}" for address, names in cursor.fetchall()]
        cursor.execute(RADCHECK_DUPLICATES)
        problems += [
            f"radcheck {attribute} more than once for {names} "
            "(`ispstack radius sync` rewrites radcheck from the subscriptions)"
            for names, attribute in cursor.fetchall()
        ]
    if problems:
        raise RuntimeError(
            "A NAS address must belong to one NAS (FreeRADIUS loads every row of nas as a "
            "client) and radcheck must hold each item once per username ignoring case; "
            "fix these rows, then migrate again:\n  " + "\n  ".join(problems)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("radius", "0007_coa_session_closed"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
    ]
