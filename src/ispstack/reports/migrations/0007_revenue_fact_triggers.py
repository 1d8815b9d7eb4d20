"""Stored revenue months are forgotten by PostgreSQL when a change reaches them.

A stored month (``reports_revenuefactmonth``) holds the revenue by service
of a closed month as computed from its documents. Any writer (a service,
the admin, a script) that changes what a month's revenue was must drop the
month, or a report would read figures a backdated change made wrong; these
triggers do it in the writer's own transaction:

- an invoice: the months of its issue date and of the day it was voided,
  when it is written, deleted, or its dates, status, currency or tenant
  change (a payment moving it to paid reaches nothing);
- an invoice line: its invoice's months and those of the credit notes on
  it; a billing run's lines, written by COPY, are handled once per
  statement from their invoices;
- a credit note or its lines: the month of its issue date;
- a top-up: the months of the lines of its charge (a one-time line of a
  top-up's charge is reported as ``top_up``);
- an exchange rate: its month and every later one (a rate converts every
  day up to the next rate);
- a subscription's connection type (the line's service type) or the
  tenant's currency: every month (rare edits that rewrite history).

Each takes the tenant's revenue-facts advisory lock shared; storing takes
it exclusively (``reports.revenue.LOCK_KEY``, the number below), so a month
computed from a snapshot that misses a concurrent change is never kept.
Django's schema operations cannot declare triggers, hence RunSQL.
"""

from django.db import migrations

FORWARD = """
-- The months from first_day's to last_day's, every later one when last_day
-- is NULL.
CREATE FUNCTION reports_revenue_forget(tenant bigint, first_day date, last_day date)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF tenant IS NULL OR first_day IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1380275797, tenant::int);
    DELETE FROM reports_revenuefactmonth
    WHERE tenant_id = tenant AND month >= date_trunc('month', first_day)::date
      AND (last_day IS NULL OR month <= last_day);
END $$;

CREATE FUNCTION reports_revenue_forget_invoice(invoice bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(inv.tenant_id, d.day, d.day)
    FROM billing_invoice inv, LATERAL (VALUES (inv.issue_date), (inv.voided_on)) d(day)
    WHERE inv.id = invoice;
END $$;

CREATE FUNCTION reports_revenue_forget_credits(line bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(cn.tenant_id, cn.issue_date, cn.issue_date)
    FROM billing_creditnoteline cl JOIN billing_creditnote cn ON cn.id = cl.credit_note_id
    WHERE cl.invoice_line_id = line;
END $$;

-- Rows dated by the columns TG_ARGV names: invoices (issued, voided),
-- credit notes (issued). Each date's month, old row and new.
CREATE FUNCTION reports_revenue_dated_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(r.tenant_id, r.day, r.day)
    FROM (
        SELECT (to_jsonb(x.r) ->> 'tenant_id')::bigint AS tenant_id,
            (to_jsonb(x.r) ->> col)::date AS day
        FROM (SELECT OLD AS r WHERE TG_OP <> 'INSERT'
              UNION ALL SELECT NEW WHERE TG_OP <> 'DELETE') x,
            unnest(TG_ARGV) col
    ) r;
    RETURN NULL;
END $$;

-- Invoices written in bulk (a billing run): each tenant and day once.
CREATE FUNCTION reports_revenue_new_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(n.tenant_id, n.day, n.day)
    FROM (
        SELECT tenant_id, issue_date AS day FROM new_rows
        UNION SELECT tenant_id, voided_on FROM new_rows WHERE voided_on IS NOT NULL
    ) n;
    RETURN NULL;
END $$;

-- Lines written in bulk: the days of their invoices, each once.
CREATE FUNCTION reports_revenue_new_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(n.tenant_id, n.day, n.day)
    FROM (
        SELECT DISTINCT inv.tenant_id, d.day
        FROM billing_invoice inv, LATERAL (VALUES (inv.issue_date), (inv.voided_on)) d(day)
        WHERE inv.id IN (SELECT invoice_id FROM new_rows) AND d.day IS NOT NULL
    ) n;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_revenue_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM reports_revenue_forget_invoice(OLD.invoice_id);
        PERFORM reports_revenue_forget_credits(OLD.id);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM reports_revenue_forget_invoice(NEW.invoice_id);
    END IF;
    RETURN NULL;
END $$;

-- Credit note lines: the credit note's month, old and new.
CREATE FUNCTION reports_revenue_credit_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(cn.tenant_id, cn.issue_date, cn.issue_date)
    FROM billing_creditnote cn
    WHERE cn.id IN (
        SELECT OLD.credit_note_id WHERE TG_OP <> 'INSERT'
        UNION ALL SELECT NEW.credit_note_id WHERE TG_OP <> 'DELETE');
    RETURN NULL;
END $$;

-- Top-ups: the lines of their charge, old and new.
CREATE FUNCTION reports_revenue_topup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line_ record;
BEGIN
    FOR line_ IN
        SELECT il.id, il.invoice_id FROM billing_invoiceline il
        WHERE il.charge_id IN (
            SELECT OLD.charge_id WHERE TG_OP <> 'INSERT'
            UNION ALL SELECT NEW.charge_id WHERE TG_OP <> 'DELETE')
    LOOP
        PERFORM reports_revenue_forget_invoice(line_.invoice_id);
        PERFORM reports_revenue_forget_credits(line_.id);
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION reports_revenue_rate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM reports_revenue_forget(OLD.tenant_id, OLD.day, NULL);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM reports_revenue_forget(NEW.tenant_id, NEW.day, NULL);
    END IF;
    RETURN NULL;
END $$;

-- Subscriptions and tenants: TG_ARGV[0] is the column naming the tenant.
CREATE FUNCTION reports_revenue_every_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_revenue_forget(
        (to_jsonb(NEW) ->> TG_ARGV[0])::bigint, '-infinity', NULL);
    RETURN NULL;
END $$;

CREATE TRIGGER reports_revenue_invoice_new AFTER INSERT ON billing_invoice
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_revenue_new_invoices();
CREATE TRIGGER reports_revenue_invoice_deleted AFTER DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION reports_revenue_dated_row('issue_date', 'voided_on');
CREATE TRIGGER reports_revenue_invoice_edited AFTER UPDATE ON billing_invoice
    FOR EACH ROW WHEN (
        (OLD.issue_date, OLD.voided_on, OLD.status = 'void', OLD.currency, OLD.tenant_id)
        IS DISTINCT FROM
        (NEW.issue_date, NEW.voided_on, NEW.status = 'void', NEW.currency, NEW.tenant_id))
    EXECUTE FUNCTION reports_revenue_dated_row('issue_date', 'voided_on');
CREATE TRIGGER reports_revenue_line_new AFTER INSERT ON billing_invoiceline
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_revenue_new_lines();
CREATE TRIGGER reports_revenue_line_deleted AFTER DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION reports_revenue_line();
CREATE TRIGGER reports_revenue_line_edited AFTER UPDATE ON billing_invoiceline
    FOR EACH ROW WHEN (
        (OLD.kind, OLD.net_amount, OLD.subscription_id, OLD.charge_id, OLD.invoice_id)
        IS DISTINCT FROM
        (NEW.kind, NEW.net_amount, NEW.subscription_id, NEW.charge_id, NEW.invoice_id))
    EXECUTE FUNCTION reports_revenue_line();
CREATE TRIGGER reports_revenue_credit_note AFTER INSERT OR DELETE ON billing_creditnote
    FOR EACH ROW EXECUTE FUNCTION reports_revenue_dated_row('issue_date');
CREATE TRIGGER reports_revenue_credit_note_edited AFTER UPDATE ON billing_creditnote
    FOR EACH ROW WHEN ((OLD.issue_date, OLD.currency, OLD.tenant_id)
        IS DISTINCT FROM (NEW.issue_date, NEW.currency, NEW.tenant_id))
    EXECUTE FUNCTION reports_revenue_dated_row('issue_date');
CREATE TRIGGER reports_revenue_credit_line AFTER INSERT OR DELETE ON billing_creditnoteline
    FOR EACH ROW EXECUTE FUNCTION reports_revenue_credit_line();
CREATE TRIGGER reports_revenue_credit_line_edited AFTER UPDATE ON billing_creditnoteline
    FOR EACH ROW WHEN ((OLD.net_amount, OLD.invoice_line_id, OLD.credit_note_id)
        IS DISTINCT FROM (NEW.net_amount, NEW.invoice_line_id, NEW.credit_note_id))
    EXECUTE FUNCTION reports_revenue_credit_line();
CREATE TRIGGER reports_revenue_topup AFTER INSERT OR DELETE ON usage_topup
    FOR EACH ROW EXECUTE FUNCTION reports_revenue_topup();
CREATE TRIGGER reports_revenue_topup_edited AFTER UPDATE ON usage_topup
    FOR EACH ROW WHEN (OLD.charge_id IS DISTINCT FROM NEW.charge_id)
    EXECUTE FUNCTION reports_revenue_topup();
CREATE TRIGGER reports_revenue_rate AFTER INSERT OR DELETE OR UPDATE ON core_exchangerate
    FOR EACH ROW EXECUTE FUNCTION reports_revenue_rate();
CREATE TRIGGER reports_revenue_service_type AFTER UPDATE ON subscriptions_subscription
    FOR EACH ROW WHEN (OLD.connection_type IS DISTINCT FROM NEW.connection_type)
    EXECUTE FUNCTION reports_revenue_every_month('tenant_id');
CREATE TRIGGER reports_revenue_tenant_currency AFTER UPDATE ON core_tenant
    FOR EACH ROW WHEN (OLD.currency IS DISTINCT FROM NEW.currency)
    EXECUTE FUNCTION reports_revenue_every_month('id');
"""

BACKWARD = """
DROP TRIGGER reports_revenue_invoice_new ON billing_invoice;
DROP TRIGGER reports_revenue_invoice_deleted ON billing_invoice;
DROP TRIGGER reports_revenue_invoice_edited ON billing_invoice;
DROP TRIGGER reports_revenue_line_new ON billing_invoiceline;
DROP TRIGGER reports_revenue_line_deleted ON billing_invoiceline;
DROP TRIGGER reports_revenue_line_edited ON billing_invoiceline;
DROP TRIGGER reports_revenue_credit_note ON billing_creditnote;
DROP TRIGGER reports_revenue_credit_note_edited ON billing_creditnote;
DROP TRIGGER reports_revenue_credit_line ON billing_creditnoteline;
DROP TRIGGER reports_revenue_credit_line_edited ON billing_creditnoteline;
DROP TRIGGER reports_revenue_topup ON usage_topup;
DROP TRIGGER reports_revenue_topup_edited ON usage_topup;
DROP TRIGGER reports_revenue_rate ON core_exchangerate;
DROP TRIGGER reports_revenue_service_type ON subscriptions_subscription;
DROP TRIGGER reports_revenue_tenant_currency ON core_tenant;
DROP FUNCTION reports_revenue_every_month();
DROP FUNCTION reports_revenue_rate();
DROP FUNCTION reports_revenue_topup();
DROP FUNCTION reports_revenue_credit_line();
DROP FUNCTION reports_revenue_line();
DROP FUNCTION reports_revenue_new_lines();
DROP FUNCTION reports_revenue_new_invoices();
DROP FUNCTION reports_revenue_dated_row();
DROP FUNCTION reports_revenue_forget_credits(bigint);
DROP FUNCTION reports_revenue_forget_invoice(bigint);
DROP FUNCTION reports_revenue_forget(bigint, date, date);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_revenue_facts"),
        ("billing", "0017_backfill_voided_on"),
        ("usage", "0009_topup_offers"),
        ("subscriptions", "0017_mac_username"),
        ("core", "0013_jobexecution"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
