-- service_channel_monthly: service requests per channel (comment, mention, direct message).
-- Grain: network, account_id, month (UTC, of the request), channel.
-- Same definitions as service_monthly, split by the channel the request arrived on (time to
-- resolution included: median and p90 over the resolved requests).
WITH monthly AS (
    SELECT
        network,
        account_id,
        month,
        channel,
        count(*) AS requests,
        count(responded_at) AS answered,
        count(responded_at) * 1.0 / count(*) AS response_rate,
        quantile_cont(response_hours, 0.5) AS median_response_hours,
        quantile_cont(response_hours, 0.9) AS p90_response_hours,
        count(*) FILTER (WHERE resolution_status = 'resolved') AS resolved,
        count(*) FILTER (WHERE resolution_status = 'reopened') AS reopened,
        quantile_cont(resolution_hours, 0.5) AS median_resolution_hours,
        quantile_cont(resolution_hours, 0.9) AS p90_resolution_hours,
        count(*) FILTER (WHERE sla_status = 'met') * 1.0
            / nullif(count(*) FILTER (WHERE sla_status IN ('met', 'missed')), 0) AS within_sla_share
    FROM service_requests
    GROUP BY ALL
)
SELECT
    m.*,
    m.requests - prev.requests AS requests_change,
    m.response_rate - prev.response_rate AS response_rate_change,
    m.median_response_hours - prev.median_response_hours AS median_response_hours_change,
    m.median_resolution_hours - prev.median_resolution_hours AS median_resolution_hours_change,
    m.within_sla_share - prev.within_sla_share AS within_sla_share_change
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.channel = m.channel
    AND prev.month = previous_month(m.month)
ORDER BY m.network, m.account_id, m.month, m.channel
