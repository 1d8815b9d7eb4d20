"""Keep a session's counters from before its latest interim update, so the NOC's
online sessions page shows the rate over the last interval.

FreeRADIUS's stock queries overwrite radacct's counters on each update; a
BEFORE UPDATE trigger copies the old counters and update time into the
``prev*`` columns whenever ``acctupdatetime`` moves forward. The stock queries
never name these columns, so they run unchanged.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("radius", "0012_copy_radius_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="radacct",
            name="previnputoctets",
            field=models.BigIntegerField(
                blank=True,
                help_text="Input octets at the previous update. Not in the FreeRADIUS schema (ispstack).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="radacct",
            name="prevoutputoctets",
            field=models.BigIntegerField(
                blank=True,
                help_text="Output octets at the previous update. Not in the FreeRADIUS schema (ispstack).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="radacct",
            name="prevupdatetime",
            field=models.DateTimeField(
                blank=True,
                help_text="When the previous update arrived. Not in the FreeRADIUS schema (ispstack).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="radacctarchive",
            name="previnputoctets",
            field=models.BigIntegerField(
                blank=True,
                help_text="Input octets at the previous update. Not in the FreeRADIUS schema (ispstack).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="radacctarchive",
            name="prevoutputoctets",
            field=models.BigIntegerField(
                blank=True,
                help_text="Output octets at the previous update. Not in the FreeRADIUS schema (ispstack).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="radacctarchive",
            name="prevupdatetime",
            field=models.DateTimeField(
                blank=True,
                help_text="When the previous update arrived. Not in the FreeRADIUS schema (ispstack).",
                null=True,
            ),
        ),
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION radacct_keep_previous_counters() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.acctupdatetime IS NOT NULL
                   AND NEW.acctupdatetime > OLD.acctupdatetime THEN
                    NEW.previnputoctets := OLD.acctinputoctets;
                    NEW.prevoutputoctets := OLD.acctoutputoctets;
                    NEW.prevupdatetime := OLD.acctupdatetime;
                END IF;
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER radacct_keep_previous_counters
                BEFORE UPDATE OF acctupdatetime ON radacct
                FOR EACH ROW EXECUTE FUNCTION radacct_keep_previous_counters();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS radacct_keep_previous_counters ON radacct;
            DROP FUNCTION IF EXISTS radacct_keep_previous_counters();
            """,
        ),
    ]
