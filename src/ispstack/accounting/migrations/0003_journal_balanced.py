"""Every journal entry balances, checked by PostgreSQL at commit.

A CHECK constraint sees one row, and a balance is a property of all lines of
an entry, so it takes a constraint trigger, DEFERRABLE INITIALLY DEFERRED:
the lines of an entry are inserted one statement at a time and only the
committed whole must balance. Django's schema operations cannot declare
triggers, hence RunSQL in its own migration; the service
(``accounting.journal.entries``) checks the same rule first and names the
entry, this is the guard against any other writer.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION accounting_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry bigint := COALESCE(NEW.entry_id, OLD.entry_id);
    difference numeric;
BEGIN
    SELECT COALESCE(SUM(debit) - SUM(credit), 0) INTO difference
      FROM accounting_journalline WHERE entry_id = entry;
    IF difference <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits - credits = %', entry, difference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER accounting_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON accounting_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounting_entry_balanced();
"""

BACKWARD = """
DROP TRIGGER accounting_entry_balanced ON accounting_journalline;
DROP FUNCTION accounting_entry_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0002_journal"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
