"""The operations history of ``bench/reports.py`` and the floors of the
usage, dunning and helpdesk reports.

``fill_operations`` writes, with statements the server runs (``INSERT ...
SELECT``, no Python per row), over the subscribers ``bench/reports.py``
made:

- daily usage of every subscription live on a day of the last ``months``
  months up to today: download 0-4 GiB a day, upload an eighth of it
  (spread by multiplicative hashing), about 35 million rows at 100,000
  subscribers and 12 months;
- three dunning campaigns of three steps (email on the day, email after 7
  days, suspension after 7 more) and one execution for three customers in
  five, started over the three years: six in ten recovered after their
  first or second step, three in ten completed (suspended), the rest
  canceled or, when started in the last two weeks, active; a log row per
  step run;
- four teams and three tickets per subscriber over the three years, nearly
  all resolved, with first-response and resolution due times by priority
  and a tenth of them answered or resolved late.

The floors are each one hand-written statement answering a report's
question for this data only (one plan change at most per subscription, no
tag or site filter, one currency), run with the reports' session settings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_USAGE = """
INSERT INTO usage_dailyusage (tenant_id, created_at, updated_at, subscription_id, day,
    output_octets, input_octets)
SELECT s.tenant_id, now(), now(), s.id, d::date, o, o / 8
FROM subscriptions_subscription s
LEFT JOIN subscriptions_subscriptionevent e ON e.subscription_id = s.id
    AND e.to_status = 'terminated'
CROSS JOIN LATERAL generate_series(GREATEST(s.start_date, %(first)s),
    LEAST(e.effective_date - 1, %(today)s), interval '1 day') AS d
CROSS JOIN LATERAL (
    SELECT ((s.id * 2654435761 + (d::date - DATE '2000-01-01') * 40503) %% 4096)
        * 1048576 AS o
) AS x
WHERE s.tenant_id = %(tenant)s
"""

_CAMPAIGNS = ("Residential", "Business", "Final notice")

# Execution g of the customers' subscriptions numbered r: three r in five,
# started up to three years back; by g, 0-5 recovered (3 days after the
# start for even g, after step 2 for odd), 6-8 completed (after step 3),
# 9 canceled after step 1; still active when that end is after today.
_EXECUTIONS = """
INSERT INTO collections_dunningexecution (tenant_id, created_at, updated_at, campaign_id,
    customer_id, status, next_position, started_on, next_action_on, finished_on,
    outstanding_amount, recovered_amount, canceled_reason)
SELECT %(tenant)s, now(), now(), (%(campaigns)s::bigint[])[g %% 3 + 1], customer_id,
    CASE WHEN ends > %(today)s THEN 'active' ELSE status END, 4, started, NULL,
    CASE WHEN ends <= %(today)s THEN ends END, 100 + g %% 400,
    CASE WHEN status = 'recovered' AND ends <= %(today)s THEN 100 + g %% 400 ELSE 0 END, ''
FROM (
    SELECT g, customer_id, started,
        CASE WHEN g %% 10 < 6 THEN 'recovered' WHEN g %% 10 < 9 THEN 'completed'
             ELSE 'canceled' END AS status,
        CASE WHEN g %% 10 < 6 THEN started + 3 + 7 * (g %% 2) WHEN g %% 10 < 9 THEN started + 14
             ELSE started + 5 END AS ends
    FROM (
        SELECT r::int AS g, customer_id,
            %(today)s::date - 1 - (r * 2654435761 %% 1095)::int AS started
        FROM (SELECT customer_id, row_number() OVER (ORDER BY id) AS r
              FROM subscriptions_subscription WHERE tenant_id = %(tenant)s) AS numbered
        WHERE r %% 5 < 3
    ) AS picked
) AS s
"""

# A log row per step run on or before the execution's end (today for an
# active one): step 1 on the start day, step 2 after 7 days, step 3 (the
# suspension) after 14.
_STEP_LOG = """
INSERT INTO collections_dunningactionlog (tenant_id, created_at, updated_at, execution_id,
    position, action, executed_on, ok, detail)
SELECT e.tenant_id, now(), now(), e.id, p, (ARRAY['email', 'email', 'suspend'])[p],
    e.started_on + 7 * (p - 1), true, ''
FROM collections_dunningexecution e CROSS JOIN generate_series(1, 3) AS p
WHERE e.tenant_id = %(tenant)s
  AND e.started_on + 7 * (p - 1) <= COALESCE(e.finished_on, %(today)s)
"""

# Ticket g: three per subscriber, opened over three years; by g, priority
# low..urgent, a team of four, first response due 4 hours after opening
# (answered within 0-6 hours), resolution due 8-72 hours after opening by
# priority (resolved within 0-80 hours); a twentieth still open.
_TICKETS = """
INSERT INTO tickets_ticket (tenant_id, created_at, updated_at, number, subject, description,
    ticket_type, priority, state, source, contact_email, service_address, affected_services,
    device_serials, team_id, customer_id, first_response_due_at, first_response_at,
    sla_due_at, sla_warned, sla_breached, sla_paused_minutes, resolved_at,
    resolution_time_minutes, first_response_warned, first_response_breached)
SELECT %(tenant)s, opened, opened, 'TCK-R-' || g, 'Ticket ' || g, '', 'technical_support',
    (ARRAY['low', 'normal', 'high', 'urgent'])[g %% 4 + 1],
    CASE WHEN g %% 20 = 0 THEN 'in_progress' ELSE 'resolved' END,
    'console', '', '', '[]'::jsonb, '[]'::jsonb,
    (%(teams)s::bigint[])[g %% 4 + 1], customer_id,
    opened + interval '4 hours', opened + answer, opened + due,
    false, g %% 20 <> 0 AND took > due, 0,
    CASE WHEN g %% 20 <> 0 THEN opened + took END,
    CASE WHEN g %% 20 <> 0 THEN (extract(epoch FROM took) / 60)::int END,
    false, answer > interval '4 hours'
FROM (
    SELECT g, customer_id,
        %(now)s::timestamptz - (g * 2654435761 %% 94608000) * interval '1 second'
            AS opened,
        (g * 40503 %% 21600) * interval '1 second' AS answer,
        (ARRAY[72, 48, 24, 8])[g %% 4 + 1] * interval '1 hour' AS due,
        (g * 7919 %% 288000) * interval '1 second' AS took
    FROM (SELECT customer_id, row_number() OVER (ORDER BY id) AS r
          FROM subscriptions_subscription WHERE tenant_id = %(tenant)s) AS numbered,
        LATERAL (SELECT 3 * r + k AS g FROM generate_series(0, 2) AS k) AS t
) AS s
WHERE opened + took < %(now)s OR g %% 20 = 0
"""


def fill_operations(tenant: Any, today: dt.date, months: int) -> dict[str, int]:
    """Write the usage, dunning and helpdesk history described above, each
    kind only when the tenant has none of it yet (a reused database keeps
    what it has); returns the rows written per table."""
    from django.db import connection, transaction

    from ispstack.collections.models import DunningCampaign, DunningStep
    from ispstack.reports.selectors import months_before
    from ispstack.tickets.models import Team, Ticket
    from ispstack.usage.models import DailyUsage

    params = {
        "tenant": tenant.pk,
        "first": months_before(today.replace(day=1), months - 1),
        "today": today,
        "now": dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC),
    }
    statements = []
    with transaction.atomic():
        if not DailyUsage.objects.filter(tenant=tenant).exists():
            statements.append(("daily usage", _USAGE))
        if not DunningCampaign.objects.filter(tenant=tenant).exists():
            params["campaigns"] = []
            for priority, name in enumerate(_CAMPAIGNS):
                campaign = DunningCampaign.objects.create(
                    tenant=tenant, name=name, priority=priority
                )
                for position, (delay, action) in enumerate(
                    ((0, "email"), (7, "email"), (7, "suspend")), 1
                ):
                    DunningStep.objects.create(
                        tenant=tenant,
                        campaign=campaign,
                        position=position,
                        delay_days=delay,
                        action=action,
                    )
                params["campaigns"].append(campaign.pk)
            statements += [("dunning execution", _EXECUTIONS), ("dunning log", _STEP_LOG)]
        if not Ticket.objects.filter(tenant=tenant).exists():
            params["teams"] = [
                Team.objects.create(tenant=tenant, name=name).pk
                for name in ("Support", "NOC", "Field", "Billing")
            ]
            statements.append(("ticket", _TICKETS))
        counts = {}
        with connection.cursor() as cursor:
            for table, statement in statements:
                cursor.execute(statement, params)
                counts[table] = cursor.rowcount
    if counts:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


# Each day's plan: the plan change's "to" plan from its effective day, its
# "from" plan before; the subscription's plan without a change.
_DAY_PLAN = """
CASE WHEN pc.effective_date IS NULL THEN s.plan_id
     WHEN u.day < pc.effective_date THEN pc.from_plan_id ELSE pc.to_plan_id END
"""

FLOOR_USAGE = f"""
WITH per AS (
    SELECT date_trunc('month', u.day)::date AS m, {_DAY_PLAN} AS plan_id, u.subscription_id,
        sum(u.output_octets) AS down, sum(u.input_octets) AS up
    FROM usage_dailyusage u JOIN subscriptions_subscription s ON s.id = u.subscription_id
    LEFT JOIN subscriptions_planchange pc ON pc.subscription_id = u.subscription_id
        AND pc.status = 'applied'
    WHERE u.tenant_id = %(tenant)s AND u.day BETWEEN %(first)s AND %(last)s
    GROUP BY 1, 2, 3 HAVING sum(u.output_octets + u.input_octets) > 0
)
SELECT m, plan_id, count(*), sum(down), sum(up) FROM per GROUP BY m, plan_id
"""

FLOOR_TOP_USERS = """
SELECT subscription_id, sum(output_octets + input_octets) AS total
FROM usage_dailyusage
WHERE tenant_id = %(tenant)s AND day BETWEEN %(top_first)s AND %(last)s
GROUP BY subscription_id ORDER BY total DESC, subscription_id LIMIT 10
"""

# Steps reached per month (position 0: campaigns started), recoveries at the
# last step run by then, and the accounts of those suspended and reactivated
# by the month's last day (today for the current month).
FLOOR_DUNNING = """
WITH reached AS (
    SELECT date_trunc('month', l.executed_on)::date AS m, e.campaign_id, l.position,
        count(*) AS n, count(*) FILTER (WHERE l.action = 'suspend' AND l.ok) AS suspended
    FROM collections_dunningactionlog l
    JOIN collections_dunningexecution e ON e.id = l.execution_id
    WHERE l.tenant_id = %(tenant)s AND l.executed_on BETWEEN %(first)s AND %(today)s
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT date_trunc('month', started_on)::date, campaign_id, 0, count(*), 0
    FROM collections_dunningexecution
    WHERE tenant_id = %(tenant)s AND started_on BETWEEN %(first)s AND %(today)s
    GROUP BY 1, 2
),
recovered AS (
    SELECT date_trunc('month', e.finished_on)::date AS m, e.campaign_id,
        COALESCE(max(l.position), 0) AS position, e.id, e.recovered_amount,
        bool_or(l.action = 'suspend' AND l.ok AND EXISTS (
            SELECT 1 FROM subscriptions_subscription s
            JOIN subscriptions_subscriptionevent ev ON ev.subscription_id = s.id
            WHERE s.customer_id = e.customer_id AND ev.from_status = 'suspended'
              AND ev.to_status = 'active' AND ev.effective_date >= l.executed_on
              AND ev.effective_date <= LEAST(
                  (date_trunc('month', e.finished_on) + interval '1 month - 1 day')::date,
                  %(today)s)
        )) AS reconnected
    FROM collections_dunningexecution e
    LEFT JOIN collections_dunningactionlog l ON l.execution_id = e.id
        AND l.executed_on <= e.finished_on
    WHERE e.tenant_id = %(tenant)s AND e.status = 'recovered'
      AND e.finished_on BETWEEN %(first)s AND %(today)s
    GROUP BY e.id
),
recoveries AS (
    SELECT m, campaign_id, position, count(*) AS n, sum(recovered_amount) AS amount,
        count(*) FILTER (WHERE reconnected) AS reconnected
    FROM recovered GROUP BY 1, 2, 3
)
SELECT COALESCE(a.m, r.m), COALESCE(a.campaign_id, r.campaign_id),
    COALESCE(a.position, r.position), COALESCE(a.n, 0), COALESCE(r.n, 0),
    COALESCE(r.amount, 0), COALESCE(a.suspended, 0), COALESCE(r.reconnected, 0)
FROM reached a FULL JOIN recoveries r ON r.m = a.m AND r.campaign_id = a.campaign_id
    AND r.position = a.position
"""

_LOCAL_RESOLVED = "(resolved_at AT TIME ZONE %(tz)s)::date"

FLOOR_RESOLUTION = f"""
SELECT date_trunc('month', {_LOCAL_RESOLVED})::date, priority, count(*),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time_minutes)
FROM tickets_ticket
WHERE tenant_id = %(tenant)s AND resolved_at IS NOT NULL
  AND {_LOCAL_RESOLVED} BETWEEN %(first)s AND %(last)s
GROUP BY 1, 2
"""

FLOOR_SLA = f"""
SELECT date_trunc('month', {_LOCAL_RESOLVED})::date, priority, count(*),
    count(*) FILTER (WHERE NOT sla_breached AND resolved_at <= sla_due_at)
FROM tickets_ticket
WHERE tenant_id = %(tenant)s AND resolved_at IS NOT NULL
  AND {_LOCAL_RESOLVED} BETWEEN %(first)s AND %(last)s
GROUP BY 1, 2
"""

_PRIORITIES = {"Low": "low", "Normal": "normal", "High": "high", "Urgent": "urgent"}


def ops_params(tenant: Any, filters: Any, days: Any) -> dict[str, object]:
    """The floors' parameters for the report months of ``filters`` and the
    top users' range ``days`` (up to today)."""
    from ispstack.core.clock import month_end

    return {
        "tenant": tenant.pk,
        "tz": tenant.timezone,
        "first": filters.start,
        "last": month_end(filters.end),
        "today": days.end,
        "top_first": days.start,
    }


def ops_reports(tenant: Any, filters: Any, days: Any) -> list[tuple[Any, ...]]:
    """(name, report, floor statement, figures of the report's rows, figures
    of the floor's rows) for usage by plan, top users (over ``days``),
    dunning effectiveness and the two ticket reports over ``filters``'s
    months: the figures are what both must agree on."""
    from ispstack.reports import helpdesk, money, operations, usage

    def floor_rows(rows: list[Any]) -> list[Any]:
        return sorted(tuple(row) for row in rows)

    return [
        (
            "usage by plan",
            lambda: usage.usage_by_plan(tenant, filters),
            FLOOR_USAGE,
            lambda rows: sorted(
                (r.month, r.plan_id, r.subscriptions, r.download_bytes, r.upload_bytes)
                for r in rows
            ),
            floor_rows,
        ),
        (
            "top users",
            lambda: operations.top_users(tenant, days, limit=10),
            FLOOR_TOP_USERS,
            lambda rows: [(r.subscription_id, r.total_bytes) for r in rows],
            lambda rows: [tuple(row) for row in rows],
        ),
        (
            "dunning effectiveness",
            lambda: money.dunning_effectiveness(tenant, filters),
            FLOOR_DUNNING,
            lambda rows: sorted(
                (r.month, r.campaign_id, r.position)
                + (r.reached, r.recovered, r.recovered_amount, r.suspended, r.reconnected)
                for r in rows
            ),
            floor_rows,
        ),
        (
            "ticket resolution times",
            lambda: helpdesk.resolution_times(tenant, filters),
            FLOOR_RESOLUTION,
            lambda rows: sorted((r.month, _PRIORITIES[r.group], r.resolved) for r in rows),
            lambda rows: sorted(tuple(row[:3]) for row in rows),
        ),
        (
            "SLA compliance",
            lambda: helpdesk.sla_compliance(tenant, filters),
            FLOOR_SLA,
            lambda rows: sorted(
                (r.month, _PRIORITIES[r.group], r.resolved, r.resolution_met) for r in rows
            ),
            floor_rows,
        ),
    ]
