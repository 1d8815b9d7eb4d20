"""The database side of vouchers: functions and triggers.

FreeRADIUS writes radacct straight into PostgreSQL; a voucher's remaining
time and data must shrink after each of those writes, whether or not any
ispstack process runs (a BSS outage must not hand out free internet). So
the recomputation is a database function, run by a trigger after every
radacct INSERT / UPDATE (Accounting-Start, Interim-Update, Stop) of a
voucher's User-Name, and called by ``hotspot.vouchers.services`` for sales
and the expiry sweep, the one place the dynamic rows are written:

``hotspot_voucher_refresh(codes text[], at timestamptz)`` for each sold or
in-use voucher among ``codes``:

- sums its sessions (radacct and radacct_archive): ``acctsessiontime``
  seconds, ``acctinputoctets + acctoutputoctets`` bytes (FreeRADIUS's stock
  queries fold the gigawords into these, RFC 2869 5.1/5.2);
- on the first session (``acctstarttime``) sets ``first_login_at``, the state
  ``used`` and, for a plan counted from the first login, ``expires_at``
  (start + duration, no later than the plan's ``valid_until``);
- when the validity, the online time or the data is over: state ``expired``,
  radcheck ``Auth-Type := Reject``, radreply nothing but ``Reply-Message``;
- before the plan's ``valid_from``: ``Auth-Type := Reject`` with a
  Reply-Message saying from when;
- otherwise rewrites the dynamic rows: radcheck ``Expiration`` (Unix time;
  FreeRADIUS's rlm_expiration refuses the login after it and lowers
  Session-Timeout to the time left), radreply ``Session-Timeout`` (online
  time left, seconds, or the whole duration before the first login),
  ``Mikrotik-Total-Limit`` and ``Mikrotik-Total-Limit-Gigawords`` (data left: low 32 bits and the
  multiples of 2^32, MikroTik RADIUS dictionary).

The static rows (password, Simultaneous-Use, rate, interim interval) are
written at the sale by ``hotspot.vouchers.radius``.

``hotspot_mac_locked(mac text, failures int, window interval)`` is 1 when
``mac`` (Calling-Station-Id) has at least ``failures`` Access-Rejects in
radpostauth within ``window``, else 0: FreeRADIUS's authorize section asks it
before looking the user up (guessing protection).
"""

from django.db import migrations

REFRESH = r"""
CREATE OR REPLACE FUNCTION hotspot_voucher_refresh(p_codes text[], p_at timestamptz)
RETURNS integer LANGUAGE plpgsql AS $fn$
-- IN (SELECT unnest(...)) rather than = ANY(...): a sale refreshes 100,000
-- codes at once, and = ANY over a parameter array is tested element by
-- element for each row, where the semi-join hashes.
DECLARE
  v_ids bigint[];
BEGIN
  SELECT array_agg(id) INTO v_ids FROM hotspot_voucher
   WHERE code IN (SELECT unnest(p_codes)) AND state IN ('sold', 'used');
  IF v_ids IS NULL THEN
    RETURN 0;
  END IF;
  WITH sessions AS (
    SELECT username, acctsessiontime, acctinputoctets, acctoutputoctets, acctstarttime
      FROM radacct WHERE username IN (SELECT unnest(p_codes))
    UNION ALL
    SELECT username, acctsessiontime, acctinputoctets, acctoutputoctets, acctstarttime
      FROM radacct_archive WHERE username IN (SELECT unnest(p_codes))
  ), usage AS (
    SELECT username,
           coalesce(sum(acctsessiontime), 0) AS seconds,
           coalesce(sum(coalesce(acctinputoctets, 0) + coalesce(acctoutputoctets, 0)), 0) AS bytes,
           min(acctstarttime) AS first_start
      FROM sessions GROUP BY username
  ), fresh AS (
    SELECT v.id, v.state AS old_state,
           coalesce(u.seconds, 0) AS seconds,
           coalesce(u.bytes, 0) AS bytes,
           coalesce(v.first_login_at, u.first_start) AS first_login,
           coalesce(
             v.expires_at,
             CASE WHEN u.first_start IS NOT NULL THEN
               least(u.first_start + p.duration_seconds * interval '1 second', p.valid_until)
             END
           ) AS expires,
           p.time_limit_seconds, p.data_limit_bytes, p.valid_until
      FROM hotspot_voucher v
      JOIN hotspot_voucherbatch b ON b.id = v.batch_id
      JOIN hotspot_voucherplan p ON p.id = b.plan_id
      LEFT JOIN usage u ON u.username = v.code
     WHERE v.id IN (SELECT unnest(v_ids))
  ), judged AS (
    SELECT f.*, CASE
      WHEN f.expires <= p_at OR f.valid_until <= p_at THEN 'validity over'
      WHEN f.time_limit_seconds IS NOT NULL AND f.seconds >= f.time_limit_seconds
        THEN 'online time used up'
      WHEN f.data_limit_bytes IS NOT NULL AND f.bytes >= f.data_limit_bytes
        THEN 'data used up'
      ELSE '' END AS reason
      FROM fresh f
  )
  -- Only rows whose figures changed are written: a sale of 100,000 codes
  -- rewrites none of them here.
  UPDATE hotspot_voucher v SET
    used_seconds = j.seconds,
    used_bytes = j.bytes,
    first_login_at = j.first_login,
    expires_at = j.expires,
    updated_at = p_at,
    expired_reason = j.reason,
    state = CASE WHEN j.reason <> '' THEN 'expired'
                 WHEN j.first_login IS NOT NULL THEN 'used'
                 ELSE j.old_state END
  FROM judged j
  WHERE v.id = j.id
    AND (v.used_seconds, v.used_bytes, v.first_login_at, v.expires_at, v.expired_reason,
         v.state)
        IS DISTINCT FROM
        (j.seconds, j.bytes, j.first_login, j.expires, j.reason,
         CASE WHEN j.reason <> '' THEN 'expired'
              WHEN j.first_login IS NOT NULL THEN 'used'
              ELSE j.old_state END);

  -- The dynamic rows of every voucher just refreshed go, then come back as
  -- its state asks.
  DELETE FROM radcheck c USING hotspot_voucher v
   WHERE v.id IN (SELECT unnest(v_ids)) AND c.username = v.code
     AND c.attribute IN ('Expiration', 'Auth-Type');
  DELETE FROM radreply r USING hotspot_voucher v
   WHERE v.id IN (SELECT unnest(v_ids)) AND r.username = v.code
     AND (v.state = 'expired'
          OR r.attribute IN ('Session-Timeout', 'Mikrotik-Total-Limit',
                             'Mikrotik-Total-Limit-Gigawords', 'Reply-Message'));

  INSERT INTO radcheck (tenant_id, username, attribute, op, value)
  SELECT v.tenant_id, v.code, 'Auth-Type', ':=', 'Reject'
    FROM hotspot_voucher v
    JOIN hotspot_voucherbatch b ON b.id = v.batch_id
    JOIN hotspot_voucherplan p ON p.id = b.plan_id
   WHERE v.id IN (SELECT unnest(v_ids))
     AND (v.state = 'expired' OR p.valid_from > p_at);
  INSERT INTO radreply (tenant_id, username, attribute, op, value)
  SELECT v.tenant_id, v.code, 'Reply-Message', ':=',
         CASE WHEN v.state = 'expired' THEN 'Voucher expired: ' || v.expired_reason
              ELSE 'Voucher valid from '
                   || to_char(p.valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
         END
    FROM hotspot_voucher v
    JOIN hotspot_voucherbatch b ON b.id = v.batch_id
    JOIN hotspot_voucherplan p ON p.id = b.plan_id
   WHERE v.id IN (SELECT unnest(v_ids))
     AND (v.state = 'expired' OR p.valid_from > p_at);

  INSERT INTO radcheck (tenant_id, username, attribute, op, value)
  SELECT v.tenant_id, v.code, 'Expiration', ':=',
         floor(extract(epoch FROM least(v.expires_at, p.valid_until)))::bigint::text
    FROM hotspot_voucher v
    JOIN hotspot_voucherbatch b ON b.id = v.batch_id
    JOIN hotspot_voucherplan p ON p.id = b.plan_id
   WHERE v.id IN (SELECT unnest(v_ids)) AND v.state <> 'expired'
     AND coalesce(v.expires_at, p.valid_until) IS NOT NULL;
  INSERT INTO radreply (tenant_id, username, attribute, op, value)
  SELECT v.tenant_id, v.code, a.attribute, ':=', a.value
    FROM hotspot_voucher v
    JOIN hotspot_voucherbatch b ON b.id = v.batch_id
    JOIN hotspot_voucherplan p ON p.id = b.plan_id
    CROSS JOIN LATERAL (VALUES
      ('Session-Timeout',
        least(p.time_limit_seconds - v.used_seconds,
              CASE WHEN v.expires_at IS NULL THEN p.duration_seconds END)::text,
        p.time_limit_seconds IS NOT NULL OR v.expires_at IS NULL),
      ('Mikrotik-Total-Limit', ((p.data_limit_bytes - v.used_bytes) % 4294967296)::text,
        p.data_limit_bytes IS NOT NULL),
      ('Mikrotik-Total-Limit-Gigawords', ((p.data_limit_bytes - v.used_bytes) / 4294967296)::text,
        p.data_limit_bytes IS NOT NULL AND p.data_limit_bytes - v.used_bytes >= 4294967296)
    ) AS a(attribute, value, wanted)
   WHERE v.id IN (SELECT unnest(v_ids)) AND v.state <> 'expired'
     AND coalesce(p.valid_from, p_at) <= p_at AND a.wanted;
  RETURN cardinality(v_ids);
END
$fn$;
"""

TRIGGER = r"""
CREATE OR REPLACE FUNCTION hotspot_radacct_voucher() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM hotspot_voucher
              WHERE code = NEW.username AND state IN ('sold', 'used')) THEN
    PERFORM hotspot_voucher_refresh(ARRAY[NEW.username], clock_timestamp());
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER hotspot_radacct_voucher
  AFTER INSERT OR UPDATE ON radacct
  FOR EACH ROW WHEN (NEW.username IS NOT NULL)
  EXECUTE FUNCTION hotspot_radacct_voucher();
"""

LOCKOUT = r"""
CREATE INDEX IF NOT EXISTS radpostauth_calling_station_idx
  ON radpostauth (callingstationid, authdate) WHERE reply = 'Access-Reject';
CREATE OR REPLACE FUNCTION hotspot_mac_locked(p_mac text, p_failures integer, p_window interval)
RETURNS integer LANGUAGE sql STABLE AS $fn$
  SELECT CASE WHEN p_mac = '' THEN 0 ELSE (
    SELECT CASE WHEN count(*) >= p_failures THEN 1 ELSE 0 END FROM (
      SELECT 1 FROM radpostauth
       WHERE callingstationid = p_mac AND reply = 'Access-Reject'
         AND authdate > now() - p_window
       LIMIT p_failures) AS recent
  ) END
$fn$;
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS hotspot_radacct_voucher ON radacct;
DROP FUNCTION IF EXISTS hotspot_radacct_voucher();
DROP FUNCTION IF EXISTS hotspot_voucher_refresh(text[], timestamptz);
DROP FUNCTION IF EXISTS hotspot_mac_locked(text, integer, interval);
DROP INDEX IF EXISTS radpostauth_calling_station_idx;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("hotspot", "0001_vouchers"),
        ("radius", "0014_radacct_open_address_indexes"),
    ]

    operations = [
        migrations.RunSQL(REFRESH + TRIGGER + LOCKOUT, REVERSE),
    ]
