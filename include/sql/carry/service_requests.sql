-- service_requests, carried: the previous set's rows of the threads an incremental run does not
-- recompute (the view carried), brought up to date. Nothing in those threads changed, but the
-- network's clock (as_of) moved on: every row takes the new as_of, and a request still unanswered
-- is judged again at it, exactly as service_requests.sql judges it; every other column stays.
-- The clock and time zone are joined to the rows directly: a per-account table built from the
-- carried rows would read them (every request of history) twice.
WITH zones AS (
    SELECT
        a.network,
        a.account_id,
        arg_max(a.time_zone, a.snapshot_date) AS time_zone
    FROM accounts AS a
    GROUP BY ALL
),

clock AS (
    SELECT
        c.*,
        coalesce(getvariable('as_of'), n.latest) AS new_as_of,
        coalesce(z.time_zone, 'UTC') AS time_zone
    FROM carried AS c
    INNER JOIN network_clock AS n ON c.network = n.network
    LEFT JOIN zones AS z ON c.network = z.network AND c.account_id = z.account_id
)

SELECT
    c.* EXCLUDE (new_as_of, time_zone) REPLACE (  -- noqa: AM04, RF03
        c.new_as_of AS as_of,
        CASE
            WHEN c.responded_at IS NULL THEN sla_clock_hours(c.created_at, c.new_as_of, c.time_zone)
            ELSE c.sla_clock_hours
        END AS sla_clock_hours,
        CASE
            WHEN c.responded_at IS NOT NULL THEN c.sla_status
            WHEN sla_clock_hours(c.created_at, c.new_as_of, c.time_zone) > c.sla_hours THEN 'missed'
            ELSE 'pending'
        END AS sla_status
    )
FROM clock AS c
