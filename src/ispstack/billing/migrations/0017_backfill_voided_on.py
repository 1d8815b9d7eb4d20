"""Date the invoices voided before ``Invoice.voided_on`` existed: the tenant's
local date of their ``invoice.void`` audit row, else of their last change
(what the journal and the revenue schedules read until then)."""

from django.db import migrations

BACKFILL = """
UPDATE billing_invoice i
   SET voided_on = (COALESCE(
         (SELECT max(a.created_at) FROM core_auditlog a
           WHERE a.tenant_id = i.tenant_id AND a.action = 'invoice.void'
             AND a.object_type = 'billing.invoice' AND a.object_id = i.id::text),
         i.updated_at) AT TIME ZONE t.timezone)::date
  FROM core_tenant t
 WHERE t.id = i.tenant_id AND i.status = 'void' AND i.voided_on IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0016_invoice_voided_on"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
