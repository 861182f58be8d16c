-- staff_monthly: people, not logos. Who answered, how many and how fast, per month.
-- Grain: network, account_id, month, staff_member (the author of the first response).
SELECT
    network,
    account_id,
    month,
    coalesce(responder, 'unattributed') AS staff_member,
    count(*) AS first_responses,
    quantile_cont(response_hours, 0.5) AS median_response_hours,
    avg(CASE WHEN sla_status = 'met' THEN 1.0 ELSE 0.0 END) AS within_sla_share
FROM service_requests
WHERE responded_at IS NOT NULL
GROUP BY ALL
ORDER BY network, account_id, month, first_responses DESC
