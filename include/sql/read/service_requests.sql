-- service_requests as readers see it: the stored rows (service_requests_rows, written by
-- include/sql/service_requests.sql without what the clock decides) and, at the mart set's as_of
-- (the table mart_clock(network, as_of, sla_hours): the as_of the set was computed for, else the
-- network's latest message, and the network's SLA target in hours), the columns that change while
-- only time passes or that the SLA target decides:
-- as_of: the report time the set was computed for; sla_hours: the target.
-- sla_clock_hours: the SLA clock from the request to its first response, or to as_of while it is
-- unanswered (business hours of answered requests are stored, being costly to count).
-- response_month, response_hours: the first response's month (UTC) and calendar hours.
-- sla_status: 'met' when answered with the clock at or under the target, 'missed' when answered
-- later or, unanswered, past the target at as_of, else 'pending'.
-- resolution_status: 'resolved' when no request follows our last reply of the turn within
-- resolution_quiet_hours (calendar hours; variable resolution_quiet_hours) and as_of is at least
-- that long after it; resolved_at is that reply and resolution_hours the calendar hours from the
-- request to it. 'reopened': a request followed within those hours (it is a request of its own).
-- 'open': unanswered at as_of, or answered less than those hours before it.
-- Sets stored before 2 Dec 2026 also hold sla_hours, sla_status, response_month and response_hours
-- (and sla_clock_hours in calendar hours), added here now: the stored columns are read without
-- them, so those sets still read as they did.
WITH stored AS (
    SELECT COLUMNS(lambda c: c NOT IN ('sla_hours', 'sla_status', 'response_month', 'response_hours'))
    FROM service_requests_rows
),

judged AS (
    SELECT
        r.*,
        c.as_of,
        c.sla_hours,
        -- stored when it counts business hours (answered requests), else counted here
        coalesce(
            r.sla_clock_hours,
            sla_clock_hours(r.created_at, coalesce(r.responded_at, c.as_of), coalesce(r.time_zone, 'UTC'))
        ) AS clock_hours,
        CASE
            WHEN r.responded_at IS NULL THEN 'open'
            WHEN
                epoch_us(r.next_request_at) - epoch_us(r.last_reply_at)
                <= getvariable('resolution_quiet_hours') * 3600e6
                THEN 'reopened'
            WHEN
                epoch_us(c.as_of) - epoch_us(r.last_reply_at)
                >= getvariable('resolution_quiet_hours') * 3600e6
                THEN 'resolved'
            ELSE 'open'
        END AS resolution_status
    FROM stored AS r
    INNER JOIN mart_clock AS c ON r.network = c.network
)

SELECT
    network,
    account_id,
    message_id,
    thread_id,
    channel,
    intent,
    negative,
    created_at,
    month,
    responded_at,
    responder,
    response_message_id,
    community_replies,
    sla_hours,
    as_of,
    resolution_status,
    utc_month(responded_at) AS response_month,
    (epoch_us(responded_at) - epoch_us(created_at)) / 3600e6 AS response_hours,
    CASE WHEN resolution_status = 'resolved' THEN last_reply_at END AS resolved_at,
    CASE
        WHEN resolution_status = 'resolved'
            THEN (epoch_us(last_reply_at) - epoch_us(created_at)) / 3600e6
    END AS resolution_hours,
    clock_hours AS sla_clock_hours,
    CASE
        WHEN responded_at IS NOT NULL AND clock_hours <= sla_hours THEN 'met'
        WHEN responded_at IS NOT NULL THEN 'missed'
        WHEN clock_hours > sla_hours THEN 'missed'
        ELSE 'pending'
    END AS sla_status
FROM judged
