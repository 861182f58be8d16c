-- service_backlog: the requests still unanswered at as_of, in no order (ORDER BY created_at for the
-- oldest first: sorting a million rows on every read costs more than it gives).
-- Grain: network, account_id, message_id (of the request). See service_requests for as_of and the SLA.
-- age_hours: calendar hours from the request to as_of; overdue: past the SLA already.
-- Computed whenever it is read (metrics.VIEW_MARTS), never stored: the clock ages every row.
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
    as_of,
    (epoch_us(as_of) - epoch_us(created_at)) / 3600e6 AS age_hours,
    sla_status = 'missed' AS overdue,
    community_replies
FROM service_requests
WHERE responded_at IS NULL
