-- service_channel_monthly: service requests per channel (comment, mention, direct message).
-- Grain: network, account_id, month (UTC, of the request), channel.
-- Same definitions as service_monthly, split by the channel the request arrived on (time to
-- resolution included: median and p90 over the resolved requests). Each month's own figures:
-- the <metric>_change columns are added when read (include/sql/read/service_channel_monthly.sql).
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
