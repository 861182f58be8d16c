-- service_channel_monthly as readers see it: the stored rows (service_channel_monthly_rows, each
-- month's own figures) and <metric>_change = this month minus the previous calendar month of the
-- same channel (rates in rate points), null without a row for it. Added when read, so that a
-- stored month never depends on the month before: an incremental run recomputes its months
-- without reading that one. Sets stored before 2 Dec 2026 also hold the changes: read without them.
WITH stored AS (
    SELECT COLUMNS(lambda c: NOT suffix(c, '_change')) FROM service_channel_monthly_rows
)

SELECT
    m.*,
    m.requests - prev.requests AS requests_change,
    m.response_rate - prev.response_rate AS response_rate_change,
    m.median_response_hours - prev.median_response_hours AS median_response_hours_change,
    m.median_resolution_hours - prev.median_resolution_hours AS median_resolution_hours_change,
    m.within_sla_share - prev.within_sla_share AS within_sla_share_change
FROM stored AS m
LEFT JOIN stored AS prev
    ON
        m.network = prev.network
        AND m.account_id = prev.account_id
        AND m.channel = prev.channel
        AND previous_month(m.month) = prev.month
ORDER BY m.network, m.account_id, m.month, m.channel
