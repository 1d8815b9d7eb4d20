"""Before usernames become unique ignoring case and prefixes exclusive in the
database (next migration): stop, naming them, if existing rows break either
rule, so the operator fixes the data instead of facing PostgreSQL's error."""

from django.db import migrations

CASE_DUPLICATES = """
SELECT string_agg(username, ' / ' ORDER BY username)
FROM subscriptions_subscription GROUP BY lower(username) HAVING count(*) > 1
"""
OVERLAPS = """
SELECT a.username || ' and ' || b.username || ' (' || host(a.{col}) || '/' || masklen(a.{col})
       || ' overlaps ' || host(b.{col}) || '/' || masklen(b.{col}) || ')'
FROM subscriptions_subscription a
JOIN subscriptions_subscription b ON a.id < b.id AND a.{col} && b.{col}
"""


def refuse_duplicates(apps, schema_editor):
    problems = []
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CASE_DUPLICATES)
        problems += [f"usernames differing only in case: {row[0]}" for row in cursor.fetchall()]
        for column in ("framed_ipv6_prefix", "delegated_ipv6_prefix"):
            cursor.execute(OVERLAPS.format(col=column))
            problems += [f"{column} of {row[0]}" for row in cursor.fetchall()]
    if problems:
        raise RuntimeError(
            "Usernames must be unique ignoring case (FreeRADIUS has one namespace) and an "
            "IPv6 prefix must have one holder; fix these subscriptions, then migrate again:\n  "
            + "\n  ".join(problems)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_subscription_delegated_ipv6_prefix_and_more"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
    ]
