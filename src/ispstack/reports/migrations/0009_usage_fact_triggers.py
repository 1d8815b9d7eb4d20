"""Stored usage months are forgotten by PostgreSQL when a change reaches them.

A stored month (``reports_usagefactmonth``) holds the usage by plan of a
closed month as computed from the daily usage rows. Any writer (the rollup,
the admin, a script) that changes what a month's usage by plan was must drop
the month, or a report would read figures a late or backdated change made
wrong; these triggers do it in the writer's own transaction:

- daily usage rows written, edited or deleted: the months from the first
  day to the last of the rows, old and new, once per statement and tenant
  (the rollup writes them in bulk, nearly always in the current month, which
  is never stored);
- an applied plan change written, edited or deleted: the month of its
  effective date and every later one (the plan of each day from then on);
- a subscription's plan changed: every month, unless the subscription has
  an applied plan change, whose dates then give the plan of every day (the
  change's own trigger forgets its months). Checked when the transaction
  commits, so the order in which a service writes the two does not matter;
- a plan's data cap changed: every month (the share of subscriptions that
  reached it).

Each takes the tenant's usage-facts advisory lock shared; storing takes it
exclusively (``reports.usage.LOCK_KEY``, the number below), so a month
computed from a snapshot that misses a concurrent change is never kept.
Django's schema operations cannot declare triggers, hence RunSQL.
"""

from django.db import migrations

FORWARD = """
-- The months from first_day's to last_day's, every later one when last_day
-- is NULL.
CREATE FUNCTION reports_usage_forget(tenant bigint, first_day date, last_day date)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF tenant IS NULL OR first_day IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1431519559, tenant::int);
    DELETE FROM reports_usagefactmonth
    WHERE tenant_id = tenant AND month >= date_trunc('month', first_day)::date
      AND (last_day IS NULL OR month <= last_day);
END $$;

-- Daily rows written in bulk: each tenant once, from its first day written to
-- its last (a statement of the rollup writes one or two days; min and max
-- cost the rollup less than the set of months would).
CREATE FUNCTION reports_usage_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM reports_usage_forget(tenant_id, min(day), max(day))
        FROM old_rows GROUP BY tenant_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM reports_usage_forget(tenant_id, min(day), max(day))
        FROM new_rows GROUP BY tenant_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_usage_plan_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'applied' THEN
        PERFORM reports_usage_forget(OLD.tenant_id, OLD.effective_date, NULL);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'applied' THEN
        PERFORM reports_usage_forget(NEW.tenant_id, NEW.effective_date, NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_usage_subscription_plan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM subscriptions_planchange
        WHERE subscription_id = NEW.id AND status = 'applied'
    ) THEN
        PERFORM reports_usage_forget(NEW.tenant_id, '-infinity', NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_usage_every_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_usage_forget(NEW.tenant_id, '-infinity', NULL);
    RETURN NULL;
END $$;

CREATE TRIGGER reports_usage_days_new AFTER INSERT ON usage_dailyusage
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_usage_days();
CREATE TRIGGER reports_usage_days_edited AFTER UPDATE ON usage_dailyusage
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_usage_days();
CREATE TRIGGER reports_usage_days_deleted AFTER DELETE ON usage_dailyusage
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_usage_days();
CREATE TRIGGER reports_usage_plan_change AFTER INSERT OR DELETE OR UPDATE
    ON subscriptions_planchange
    FOR EACH ROW EXECUTE FUNCTION reports_usage_plan_change();
CREATE CONSTRAINT TRIGGER reports_usage_subscription_plan
    AFTER UPDATE OF plan_id ON subscriptions_subscription
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id)
    EXECUTE FUNCTION reports_usage_subscription_plan();
CREATE TRIGGER reports_usage_data_cap AFTER UPDATE OF data_cap_bytes ON catalog_plan
    FOR EACH ROW WHEN (OLD.data_cap_bytes IS DISTINCT FROM NEW.data_cap_bytes)
    EXECUTE FUNCTION reports_usage_every_month();
"""

BACKWARD = """
DROP TRIGGER reports_usage_days_new ON usage_dailyusage;
DROP TRIGGER reports_usage_days_edited ON usage_dailyusage;
DROP TRIGGER reports_usage_days_deleted ON usage_dailyusage;
DROP TRIGGER reports_usage_plan_change ON subscriptions_planchange;
DROP TRIGGER reports_usage_subscription_plan ON subscriptions_subscription;
DROP TRIGGER reports_usage_data_cap ON catalog_plan;
DROP FUNCTION reports_usage_every_month();
DROP FUNCTION reports_usage_subscription_plan();
DROP FUNCTION reports_usage_plan_change();
DROP FUNCTION reports_usage_days();
DROP FUNCTION reports_usage_forget(bigint, date, date);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_usage_facts"),
        ("usage", "0009_topup_offers"),
        ("subscriptions", "0017_mac_username"),
        ("catalog", "0010_seed_price_history"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
