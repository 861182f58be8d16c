-- service_monthly as readers see it: the stored rows (service_monthly_rows, each month's own
-- figures) and, from the previous calendar month of the same account (null without a row for
-- it): <metric>_change = this month minus that month (rates in rate points), and prev_<metric>
-- = that month's figure. Added when read, so that a stored month never depends on the month
-- before: an incremental run recomputes its months without reading that one. Sets stored before
-- 2 Dec 2026 also hold them: read without them.
WITH stored AS (
    SELECT COLUMNS(lambda c: NOT (suffix(c, '_change') OR prefix(c, 'prev_'))) FROM service_monthly_rows
)

SELECT
    m.*,
    m.requests - prev.requests AS requests_change,
    prev.response_rate AS prev_response_rate,
    m.response_rate - prev.response_rate AS response_rate_change,
    prev.median_response_hours AS prev_median_response_hours,
    m.median_response_hours - prev.median_response_hours AS median_response_hours_change,
    m.p90_response_hours - prev.p90_response_hours AS p90_response_hours_change,
    m.median_resolution_hours - prev.median_resolution_hours AS median_resolution_hours_change,
    prev.within_sla_share AS prev_within_sla_share,
    m.within_sla_share - prev.within_sla_share AS within_sla_share_change,
    m.backlog_at_month_end - prev.backlog_at_month_end AS backlog_change,
    m.negative_requests - prev.negative_requests AS negative_requests_change
FROM stored AS m
LEFT JOIN stored AS prev
    ON
        m.network = prev.network
        AND m.account_id = prev.account_id
        AND previous_month(m.month) = prev.month
ORDER BY m.network, m.account_id, m.month
