"""The voucher accounting trigger fires only for a User-Name shaped like a
voucher code (``hotspot.vouchers.codes``: a prefix of A-Z, 0-9 and ``-`` up
to 8 characters, then 6 to 24 code characters of A-Z and 0-9).

Before, every Accounting-Start, Interim-Update and Stop of every subscriber
queued an AFTER trigger event and ran a PL/pgSQL function with a lookup in
the vouchers, although almost none are vouchers: subscribers' usernames
carry lower case, ``@`` or ``.``. The trigger's WHEN clause is evaluated in
the executor, without a function call, so those packets now cost what
FreeRADIUS's own schema costs them. A code is written and typed in upper
case and FreeRADIUS's stock queries match the User-Name exactly, so no
voucher session is left out.
"""

from django.db import migrations

CODES_ONLY = r"""
DROP TRIGGER IF EXISTS hotspot_radacct_voucher ON radacct;
CREATE TRIGGER hotspot_radacct_voucher
  AFTER INSERT OR UPDATE ON radacct
  FOR EACH ROW WHEN (NEW.username ~ '^[A-Z0-9-]{6,32}$')
  EXECUTE FUNCTION hotspot_radacct_voucher();
"""

EVERY_USERNAME = r"""
DROP TRIGGER IF EXISTS hotspot_radacct_voucher ON radacct;
CREATE TRIGGER hotspot_radacct_voucher
  AFTER INSERT OR UPDATE ON radacct
  FOR EACH ROW WHEN (NEW.username IS NOT NULL)
  EXECUTE FUNCTION hotspot_radacct_voucher();
"""


class Migration(migrations.Migration):
    dependencies = [("hotspot", "0006_lockout_function")]

    operations = [migrations.RunSQL(CODES_ONLY, EVERY_USERNAME)]
