-- service_monthly: did we answer our customers, and how fast? Per account and month of request.
-- Grain: network, account_id, month.
-- response_rate = answered / requests. Median and 90th percentile of time to first response are
-- over answered requests, in hours. within_sla_share = met / (met + missed): requests still
-- pending inside the SLA are not judged yet. open_requests are unanswered at as_of.
WITH monthly AS (
    SELECT
        network,
        account_id,
        month,
        count(*) AS requests,
        count(responded_at) AS answered,
        count(*) - count(responded_at) AS open_requests,
        count(responded_at) * 1.0 / count(*) AS response_rate,
        quantile_cont(response_hours, 0.5) AS median_response_hours,
        quantile_cont(response_hours, 0.9) AS p90_response_hours,
        count(*) FILTER (WHERE sla_status = 'met') AS within_sla,
        count(*) FILTER (WHERE sla_status = 'met') * 1.0
            / nullif(count(*) FILTER (WHERE sla_status IN ('met', 'missed')), 0) AS within_sla_share,
        count(*) FILTER (WHERE intent = 'complaint') AS complaints
    FROM service_requests
    GROUP BY ALL
)
SELECT
    m.*,
    prev.response_rate AS prev_response_rate,
    prev.median_response_hours AS prev_median_response_hours,
    prev.within_sla_share AS prev_within_sla_share
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.month = strftime(CAST(m.month || '-01' AS DATE) - INTERVAL 1 MONTH, '%Y-%m')
ORDER BY m.network, m.account_id, m.month
