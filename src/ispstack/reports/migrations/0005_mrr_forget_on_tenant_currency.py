"""Stored MRR days are forgotten when the tenant's currency changes.

Every stored amount is in the tenant's currency (converted at the dated
exchange rates and rounded to its minor unit), so a new currency rewrites
every stored day and month. The time zone is not watched: it decides which
day is today, not what a stored day's MRR was. Like 0004, a trigger in the
writer's transaction, through ``reports_mrr_forget`` and its lock.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION reports_mrr_tenant_currency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_mrr_forget(NEW.id, '-infinity');
    RETURN NULL;
END $$;

CREATE TRIGGER reports_mrr_tenant_currency AFTER UPDATE ON core_tenant
    FOR EACH ROW WHEN (OLD.currency IS DISTINCT FROM NEW.currency)
    EXECUTE FUNCTION reports_mrr_tenant_currency();
"""

BACKWARD = """
DROP TRIGGER reports_mrr_tenant_currency ON core_tenant;
DROP FUNCTION reports_mrr_tenant_currency();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_mrr_fact_triggers"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
