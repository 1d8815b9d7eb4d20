"""Carry DRF authtoken keys over to hashed API tokens, then drop their table.

Before API tokens were hashed, ``rest_framework.authtoken`` kept one
plaintext 40-hex-digit key per user in ``authtoken_token``. Each key becomes
an ``ApiToken`` named "DRF token" with all scopes, stored as its SHA-256
like any other token, so clients using ``Authorization: Token <key>`` keep
working; the plaintext table is dropped so no usable secret stays in the
database. On a database that never had the table this does nothing.
"""

import hashlib

from django.db import migrations


def hash_legacy_keys(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    ApiToken = apps.get_model("api", "ApiToken")
    User = apps.get_model("core", "User")
    tenants = dict(User.objects.values_list("pk", "tenant_id"))
    for key, user_id, created in rows:
        token = ApiToken.objects.create(
            tenant_id=tenants.get(user_id),
            user_id=user_id,
            name="DRF token",
            # Ten hex digits of the key tell tokens apart; the key itself is not kept.
            prefix=f"drf_{key[:10]}",
            digest=hashlib.sha256(key.encode()).hexdigest(),
            scopes=["*"],
        )
        ApiToken.objects.filter(pk=token.pk).update(created_at=created)
    schema_editor.execute("DROP TABLE authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [migrations.RunPython(hash_legacy_keys, migrations.RunPython.noop)]
