-- service_requests, carried: the previous set's rows of the months an incremental run does not
-- recompute (the view carried), brought up to date. Nothing in those months changed, but the
-- network's clock (as_of) moved on: every row takes the new as_of, and a request still unanswered
-- is judged again at it, exactly as service_requests.sql judges it; every other column stays.
WITH clock AS (
    SELECT
        l.network,
        l.account_id,
        coalesce(getvariable('as_of'), n.latest) AS as_of,
        coalesce(z.time_zone, 'UTC') AS time_zone
    FROM (SELECT DISTINCT network, account_id FROM carried) AS l
    INNER JOIN network_clock AS n ON l.network = n.network
    LEFT JOIN (
        SELECT network, account_id, arg_max(time_zone, snapshot_date) AS time_zone
        FROM accounts
        GROUP BY ALL
    ) AS z ON l.network = z.network AND l.account_id = z.account_id
)

SELECT
    c.* REPLACE (  -- noqa: AM04
        k.as_of AS as_of,
        CASE
            WHEN c.responded_at IS NULL THEN sla_clock_hours(c.created_at, k.as_of, k.time_zone)
            ELSE c.sla_clock_hours
        END AS sla_clock_hours,
        CASE
            WHEN c.responded_at IS NOT NULL THEN c.sla_status
            WHEN sla_clock_hours(c.created_at, k.as_of, k.time_zone) > c.sla_hours THEN 'missed'
            ELSE 'pending'
        END AS sla_status
    )
FROM carried AS c
INNER JOIN clock AS k ON c.network = k.network AND c.account_id = k.account_id
