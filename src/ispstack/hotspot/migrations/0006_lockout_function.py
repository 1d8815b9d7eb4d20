"""FreeRADIUS asks ``hotspot_mac_locked(mac, nas)``: the device's lockout by
the limits of the tenant whose NAS (``nas.nasname``, the request's source
address) sent the request, the product defaults (5 in 15 minutes) for a
NAS or tenant without settings, and never when the tenant set 0 failures.
The three-argument form of 0002 does the counting."""

from django.db import migrations

LOCKED = r"""
CREATE OR REPLACE FUNCTION hotspot_mac_locked(p_mac text, p_nas text)
RETURNS integer LANGUAGE sql STABLE AS $fn$
  SELECT CASE WHEN limits.failures = 0 THEN 0
              ELSE hotspot_mac_locked(p_mac, limits.failures, make_interval(mins => limits.minutes))
         END
    FROM (SELECT coalesce(s.lockout_failures, 5) AS failures,
                 coalesce(s.lockout_minutes, 15) AS minutes
            FROM (VALUES (1)) AS one (x)
            LEFT JOIN nas ON nas.nasname = p_nas
            LEFT JOIN hotspot_vouchersettings s ON s.tenant_id = nas.tenant_id) AS limits
$fn$;
"""

REVERSE = "DROP FUNCTION IF EXISTS hotspot_mac_locked(text, text);"


class Migration(migrations.Migration):
    dependencies = [("hotspot", "0005_lockout_per_tenant")]

    operations = [migrations.RunSQL(LOCKED, REVERSE)]
