"""A closed month's books never change, and neither does an account's code
once lines are booked to it: enforced by PostgreSQL for every writer.

The services never write into a closed month (``accounting.periods``
books a correction into the first open one) and the admin shows the
journal read only; these triggers are the guard against any other writer
(a script, a psql session, a future bug). An update or delete is checked
row by row; an insert once per statement over the inserted rows (a
transition table), because a recognition run inserts a row per invoice
line and month. Each raises ``check_violation``,
which Django reads as an IntegrityError. Django's schema operations cannot
declare triggers, hence RunSQL in its own migration.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION accounting_month_closed(tenant bigint, day date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM accounting_accountingperiod p
        WHERE p.tenant_id = tenant AND p.month = date_trunc('month', day)::date
    )
$$;

CREATE FUNCTION accounting_refuse_closed_now(day date, tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is closed: its books never change, a correction goes into the open month',
        to_char(day, 'YYYY-MM')
        USING ERRCODE = 'check_violation', TABLE = tbl;
END $$;

CREATE FUNCTION accounting_refuse_closed(tenant bigint, day date, tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF accounting_month_closed(tenant, day) THEN
        PERFORM accounting_refuse_closed_now(day, tbl);
    END IF;
END $$;

CREATE FUNCTION accounting_entry_closed_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM accounting_refuse_closed(OLD.tenant_id, OLD.period, TG_TABLE_NAME);
    IF TG_OP = 'UPDATE' THEN
        PERFORM accounting_refuse_closed(NEW.tenant_id, NEW.period, TG_TABLE_NAME);
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

CREATE FUNCTION accounting_line_closed_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM accounting_refuse_closed(e.tenant_id, e.period, TG_TABLE_NAME)
    FROM accounting_journalentry e WHERE e.id = OLD.entry_id;
    IF TG_OP = 'UPDATE' THEN
        PERFORM accounting_refuse_closed(e.tenant_id, e.period, TG_TABLE_NAME)
        FROM accounting_journalentry e WHERE e.id = NEW.entry_id;
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

CREATE FUNCTION accounting_schedule_closed_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM accounting_refuse_closed(OLD.tenant_id, OLD.month, TG_TABLE_NAME);
    IF TG_OP = 'UPDATE' THEN
        PERFORM accounting_refuse_closed(NEW.tenant_id, NEW.month, TG_TABLE_NAME);
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

-- Inserts come in bulk (a recognition run writes a row per line and month):
-- one check per statement over the inserted rows, not a function call a row.
CREATE FUNCTION accounting_inserted_closed_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed date;
BEGIN
    IF TG_TABLE_NAME = 'accounting_journalline' THEN
        SELECT p.month INTO closed FROM inserted i
        JOIN accounting_journalentry e ON e.id = i.entry_id
        JOIN accounting_accountingperiod p ON p.tenant_id = e.tenant_id AND p.month = e.period
        LIMIT 1;
    ELSIF TG_TABLE_NAME = 'accounting_journalentry' THEN
        SELECT p.month INTO closed FROM inserted i
        JOIN accounting_accountingperiod p ON p.tenant_id = i.tenant_id AND p.month = i.period
        LIMIT 1;
    ELSE
        SELECT p.month INTO closed FROM inserted i
        JOIN accounting_accountingperiod p ON p.tenant_id = i.tenant_id AND p.month = i.month
        LIMIT 1;
    END IF;
    IF closed IS NOT NULL THEN
        PERFORM accounting_refuse_closed_now(closed, TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER accounting_entry_closed_month
    BEFORE UPDATE OR DELETE ON accounting_journalentry
    FOR EACH ROW EXECUTE FUNCTION accounting_entry_closed_month();
CREATE TRIGGER accounting_line_closed_month
    BEFORE UPDATE OR DELETE ON accounting_journalline
    FOR EACH ROW EXECUTE FUNCTION accounting_line_closed_month();
CREATE TRIGGER accounting_schedule_closed_month
    BEFORE UPDATE OR DELETE ON accounting_revenuescheduleentry
    FOR EACH ROW EXECUTE FUNCTION accounting_schedule_closed_month();
CREATE TRIGGER accounting_entry_inserted_closed_month
    AFTER INSERT ON accounting_journalentry REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_inserted_closed_month();
CREATE TRIGGER accounting_line_inserted_closed_month
    AFTER INSERT ON accounting_journalline REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_inserted_closed_month();
CREATE TRIGGER accounting_schedule_inserted_closed_month
    AFTER INSERT ON accounting_revenuescheduleentry REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_inserted_closed_month();

CREATE FUNCTION accounting_period_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is closed, and a close is final', to_char(OLD.month, 'YYYY-MM')
        USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME;
END $$;

CREATE TRIGGER accounting_period_final
    BEFORE UPDATE OR DELETE ON accounting_accountingperiod
    FOR EACH ROW EXECUTE FUNCTION accounting_period_final();

CREATE FUNCTION accounting_account_code_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.code, NEW.type) IS DISTINCT FROM (OLD.code, OLD.type)
       AND EXISTS (SELECT 1 FROM accounting_journalline l WHERE l.account_id = OLD.id) THEN
        RAISE EXCEPTION 'account % has journal lines: its code and type are kept', OLD.code
            USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, COLUMN = 'code';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER accounting_account_code_kept
    BEFORE UPDATE OF code, type ON accounting_account
    FOR EACH ROW EXECUTE FUNCTION accounting_account_code_kept();
"""

BACKWARD = """
DROP TRIGGER accounting_account_code_kept ON accounting_account;
DROP FUNCTION accounting_account_code_kept();
DROP TRIGGER accounting_period_final ON accounting_accountingperiod;
DROP FUNCTION accounting_period_final();
DROP TRIGGER accounting_schedule_inserted_closed_month ON accounting_revenuescheduleentry;
DROP TRIGGER accounting_line_inserted_closed_month ON accounting_journalline;
DROP TRIGGER accounting_entry_inserted_closed_month ON accounting_journalentry;
DROP FUNCTION accounting_inserted_closed_month();
DROP TRIGGER accounting_schedule_closed_month ON accounting_revenuescheduleentry;
DROP TRIGGER accounting_line_closed_month ON accounting_journalline;
DROP TRIGGER accounting_entry_closed_month ON accounting_journalentry;
DROP FUNCTION accounting_schedule_closed_month();
DROP FUNCTION accounting_line_closed_month();
DROP FUNCTION accounting_entry_closed_month();
DROP FUNCTION accounting_refuse_closed(bigint, date, text);
DROP FUNCTION accounting_refuse_closed_now(date, text);
DROP FUNCTION accounting_month_closed(bigint, date);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0004_recognition"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
