"""Stored MRR days are forgotten by PostgreSQL when a change reaches them.

A stored day (``reports_mrrfactday``) holds each subscription's MRR on that
day as computed from history; a stored month (``reports_mrrmonthfact``) the
movements of the month closing on its day, from that day's and the day
before the month's facts, so it goes with its day. Any writer (a service, the admin, a script)
that changes what a day's MRR was must drop the day, or a report would read
figures a backdated change made wrong; these triggers do it in the writer's
own transaction, from the first day the change can reach:

- a subscription event or an applied plan change: from its effective date;
- a subscription's add-on: from its start, or the day after its end when
  only the end moves; a subscription's promotion: from its start;
- a plan or add-on price row: from its date, or every day when it is (or
  was) the product's first row, which also prices the days before it;
- an exchange rate: from its day;
- a product's price, currency or cycle read without price history, a
  promotion's terms, any bundle change after its creation day, a
  subscription moved to another customer, or a plan set on a subscription
  without an applied plan change: every day (rare edits that rewrite
  history).

Each takes the tenant's MRR-facts advisory lock shared; storing takes it
exclusively (``reports.mrr_facts.LOCK_KEY``, the number below), so a day
computed from a snapshot that misses a concurrent change is never kept.
Django's schema operations cannot declare triggers, hence RunSQL.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION reports_mrr_forget(tenant bigint, from_day date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant IS NULL OR from_day IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1297240646, tenant::int);
    DELETE FROM reports_mrrfactday WHERE tenant_id = tenant AND day >= from_day;
    DELETE FROM reports_mrrmonthfact WHERE tenant_id = tenant AND day >= from_day;
END $$;

-- Rows dated by one column (TG_ARGV[0]): events, plan changes, promotions
-- granted, exchange rates.
CREATE FUNCTION reports_mrr_dated_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM reports_mrr_forget(OLD.tenant_id, (to_jsonb(OLD) ->> TG_ARGV[0])::date);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, (to_jsonb(NEW) ->> TG_ARGV[0])::date);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_mrr_addon_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, NEW.start_date);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM reports_mrr_forget(OLD.tenant_id, OLD.start_date);
    ELSIF (OLD.start_date, OLD.quantity, OLD.addon_id, OLD.subscription_id)
          IS DISTINCT FROM (NEW.start_date, NEW.quantity, NEW.addon_id, NEW.subscription_id) THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, LEAST(OLD.start_date, NEW.start_date));
    ELSIF OLD.end_date IS DISTINCT FROM NEW.end_date THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, LEAST(OLD.end_date, NEW.end_date) + 1);
    END IF;
    RETURN NULL;
END $$;

-- Price rows: TG_ARGV[0] is the product column (plan_id, addon_id).
CREATE FUNCTION reports_mrr_price_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_ record;
    product bigint;
    first_day date;
BEGIN
    FOR row_ IN
        SELECT OLD AS r WHERE TG_OP <> 'INSERT'
        UNION ALL SELECT NEW WHERE TG_OP <> 'DELETE'
    LOOP
        product := (to_jsonb(row_.r) ->> TG_ARGV[0])::bigint;
        EXECUTE format('SELECT min(effective_date) FROM %I WHERE %I = $1',
                       TG_TABLE_NAME, TG_ARGV[0])
            INTO first_day USING product;
        IF first_day IS NULL OR (row_.r).effective_date <= first_day THEN
            PERFORM reports_mrr_forget((row_.r).tenant_id, '-infinity');
        ELSE
            PERFORM reports_mrr_forget((row_.r).tenant_id, (row_.r).effective_date);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- Plans and add-ons: TG_ARGV[0] is the price table, TG_ARGV[1] its product column.
CREATE FUNCTION reports_mrr_product() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    priced boolean;
BEGIN
    IF OLD.cycle_months IS DISTINCT FROM NEW.cycle_months THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, '-infinity');
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[0], TG_ARGV[1])
        INTO priced USING NEW.id;
    IF NOT priced THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, '-infinity');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_mrr_every_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM reports_mrr_forget(OLD.tenant_id, '-infinity');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, '-infinity');
    END IF;
    RETURN NULL;
END $$;

-- A new bundle counts from the day it was created (in any time zone: the
-- day before, to be safe); any later change rewrites every day.
CREATE FUNCTION reports_mrr_bundle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, NEW.created_at::date - 1);
    ELSE
        PERFORM reports_mrr_forget(OLD.tenant_id, '-infinity');
    END IF;
    RETURN NULL;
END $$;

-- A bundle's products: TG_OP's row names the bundle.
CREATE FUNCTION reports_mrr_bundle_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_mrr_forget(b.tenant_id, '-infinity')
    FROM catalog_bundle b
    WHERE b.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.bundle_id ELSE NEW.bundle_id END;
    RETURN NULL;
END $$;

-- A plan set on a subscription counts for every day unless an applied plan
-- change dates it (the change's own trigger forgets from its date): checked
-- at commit, when the service has written both.
CREATE FUNCTION reports_mrr_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.customer_id IS DISTINCT FROM NEW.customer_id OR NOT EXISTS (
        SELECT 1 FROM subscriptions_planchange c
        WHERE c.subscription_id = NEW.id AND c.status = 'applied'
    ) THEN
        PERFORM reports_mrr_forget(NEW.tenant_id, '-infinity');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_mrr_event AFTER INSERT OR DELETE ON subscriptions_subscriptionevent
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_dated_row('effective_date');
CREATE TRIGGER reports_mrr_event_edited AFTER UPDATE ON subscriptions_subscriptionevent
    FOR EACH ROW WHEN ((OLD.effective_date, OLD.from_status, OLD.to_status, OLD.subscription_id)
        IS DISTINCT FROM (NEW.effective_date, NEW.from_status, NEW.to_status, NEW.subscription_id))
    EXECUTE FUNCTION reports_mrr_dated_row('effective_date');
CREATE TRIGGER reports_mrr_plan_change AFTER INSERT OR DELETE ON subscriptions_planchange
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_dated_row('effective_date');
CREATE TRIGGER reports_mrr_plan_change_edited AFTER UPDATE ON subscriptions_planchange
    FOR EACH ROW WHEN (
        (OLD.effective_date, OLD.status, OLD.from_plan_id, OLD.to_plan_id, OLD.subscription_id)
        IS DISTINCT FROM
        (NEW.effective_date, NEW.status, NEW.from_plan_id, NEW.to_plan_id, NEW.subscription_id))
    EXECUTE FUNCTION reports_mrr_dated_row('effective_date');
CREATE TRIGGER reports_mrr_promotion_granted AFTER INSERT OR DELETE
    ON subscriptions_subscriptionpromotion
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_dated_row('start_date');
CREATE TRIGGER reports_mrr_promotion_granted_edited AFTER UPDATE
    ON subscriptions_subscriptionpromotion
    FOR EACH ROW WHEN ((OLD.start_date, OLD.promotion_id, OLD.subscription_id)
        IS DISTINCT FROM (NEW.start_date, NEW.promotion_id, NEW.subscription_id))
    EXECUTE FUNCTION reports_mrr_dated_row('start_date');
CREATE TRIGGER reports_mrr_rate AFTER INSERT OR DELETE OR UPDATE
    ON core_exchangerate
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_dated_row('day');
CREATE TRIGGER reports_mrr_addon_line AFTER INSERT OR DELETE OR UPDATE
    ON subscriptions_subscriptionaddon
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_addon_line();
CREATE TRIGGER reports_mrr_plan_price AFTER INSERT OR DELETE ON catalog_planprice
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_price_row('plan_id');
CREATE TRIGGER reports_mrr_plan_price_edited AFTER UPDATE ON catalog_planprice
    FOR EACH ROW WHEN (
        (OLD.effective_date, OLD.monthly_price, OLD.currency, OLD.plan_id)
        IS DISTINCT FROM (NEW.effective_date, NEW.monthly_price, NEW.currency, NEW.plan_id)) EXECUTE FUNCTION reports_mrr_price_row('plan_id');
CREATE TRIGGER reports_mrr_addon_price AFTER INSERT OR DELETE ON catalog_addonprice
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_price_row('addon_id');
CREATE TRIGGER reports_mrr_addon_price_edited AFTER UPDATE ON catalog_addonprice
    FOR EACH ROW WHEN (
        (OLD.effective_date, OLD.monthly_price, OLD.currency, OLD.addon_id)
        IS DISTINCT FROM (NEW.effective_date, NEW.monthly_price, NEW.currency, NEW.addon_id)) EXECUTE FUNCTION reports_mrr_price_row('addon_id');
CREATE TRIGGER reports_mrr_plan AFTER UPDATE ON catalog_plan
    FOR EACH ROW WHEN ((OLD.monthly_price, OLD.currency, OLD.cycle_months)
        IS DISTINCT FROM (NEW.monthly_price, NEW.currency, NEW.cycle_months)) EXECUTE FUNCTION reports_mrr_product('catalog_planprice', 'plan_id');
CREATE TRIGGER reports_mrr_addon AFTER UPDATE ON catalog_addon
    FOR EACH ROW WHEN ((OLD.monthly_price, OLD.currency, OLD.cycle_months)
        IS DISTINCT FROM (NEW.monthly_price, NEW.currency, NEW.cycle_months)) EXECUTE FUNCTION reports_mrr_product('catalog_addonprice', 'addon_id');
CREATE TRIGGER reports_mrr_promotion AFTER UPDATE ON catalog_promotion
    FOR EACH ROW WHEN ((OLD.kind, OLD.value, OLD.cycles)
        IS DISTINCT FROM (NEW.kind, NEW.value, NEW.cycles)) EXECUTE FUNCTION reports_mrr_every_day();
CREATE TRIGGER reports_mrr_bundle AFTER INSERT OR DELETE ON catalog_bundle
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_bundle();
CREATE TRIGGER reports_mrr_bundle_edited AFTER UPDATE ON catalog_bundle
    FOR EACH ROW WHEN (
        (OLD.discount_kind, OLD.discount_value, OLD.requires_all_products, OLD.is_active,
         OLD.created_at)
        IS DISTINCT FROM
        (NEW.discount_kind, NEW.discount_value, NEW.requires_all_products, NEW.is_active,
         NEW.created_at))
    EXECUTE FUNCTION reports_mrr_bundle();
CREATE TRIGGER reports_mrr_bundle_plans AFTER INSERT OR DELETE OR UPDATE
    ON catalog_bundle_plans
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_bundle_product();
CREATE TRIGGER reports_mrr_bundle_addons AFTER INSERT OR DELETE OR UPDATE
    ON catalog_bundle_addons
    FOR EACH ROW EXECUTE FUNCTION reports_mrr_bundle_product();
CREATE CONSTRAINT TRIGGER reports_mrr_subscription AFTER UPDATE
    ON subscriptions_subscription DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
    EXECUTE FUNCTION reports_mrr_subscription();
"""

BACKWARD = """
DROP TRIGGER reports_mrr_event ON subscriptions_subscriptionevent;
DROP TRIGGER reports_mrr_event_edited ON subscriptions_subscriptionevent;
DROP TRIGGER reports_mrr_plan_change ON subscriptions_planchange;
DROP TRIGGER reports_mrr_plan_change_edited ON subscriptions_planchange;
DROP TRIGGER reports_mrr_promotion_granted ON subscriptions_subscriptionpromotion;
DROP TRIGGER reports_mrr_promotion_granted_edited ON subscriptions_subscriptionpromotion;
DROP TRIGGER reports_mrr_rate ON core_exchangerate;
DROP TRIGGER reports_mrr_addon_line ON subscriptions_subscriptionaddon;
DROP TRIGGER reports_mrr_plan_price ON catalog_planprice;
DROP TRIGGER reports_mrr_plan_price_edited ON catalog_planprice;
DROP TRIGGER reports_mrr_addon_price ON catalog_addonprice;
DROP TRIGGER reports_mrr_addon_price_edited ON catalog_addonprice;
DROP TRIGGER reports_mrr_plan ON catalog_plan;
DROP TRIGGER reports_mrr_addon ON catalog_addon;
DROP TRIGGER reports_mrr_promotion ON catalog_promotion;
DROP TRIGGER reports_mrr_bundle ON catalog_bundle;
DROP TRIGGER reports_mrr_bundle_edited ON catalog_bundle;
DROP TRIGGER reports_mrr_bundle_plans ON catalog_bundle_plans;
DROP TRIGGER reports_mrr_bundle_addons ON catalog_bundle_addons;
DROP TRIGGER reports_mrr_subscription ON subscriptions_subscription;
DROP FUNCTION reports_mrr_subscription();
DROP FUNCTION reports_mrr_bundle_product();
DROP FUNCTION reports_mrr_bundle();
DROP FUNCTION reports_mrr_every_day();
DROP FUNCTION reports_mrr_product();
DROP FUNCTION reports_mrr_price_row();
DROP FUNCTION reports_mrr_addon_line();
DROP FUNCTION reports_mrr_dated_row();
DROP FUNCTION reports_mrr_forget(bigint, date);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_mrr_facts"),
        ("subscriptions", "0017_mac_username"),
        ("catalog", "0010_seed_price_history"),
        ("core", "0013_jobexecution"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
