-- report staff: who sent the first responses to the month's requests, over all the report's
-- accounts (a person answering on two accounts is one row). Unsigned replies: 'unattributed'.
-- first_responses; median_ and p90_response_hours (continuous quantiles, calendar hours);
-- first_responses_within_sla = met / first responses (an answered request is met or missed).
-- Unanswered requests belong to nobody, so this share is not the channel's within_sla_share.
-- resolved and median_/p90_resolution_hours: the first responder's requests that were resolved
-- (service_requests.resolution_status), over those only.
SELECT
    coalesce(responder, 'unattributed') AS staff_member,
    count(*) AS first_responses,
    quantile_cont(response_hours, 0.5) AS median_response_hours,
    quantile_cont(response_hours, 0.9) AS p90_response_hours,
    count(*) FILTER (WHERE sla_status = 'met') * 1.0 / count(*) AS first_responses_within_sla,
    count(*) FILTER (WHERE resolution_status = 'resolved') AS resolved,
    quantile_cont(resolution_hours, 0.5) AS median_resolution_hours,
    quantile_cont(resolution_hours, 0.9) AS p90_resolution_hours
FROM service_requests
SEMI JOIN report_accounts USING (network, account_id)
WHERE month = getvariable('report_month') AND responded_at IS NOT NULL
GROUP BY ALL
ORDER BY first_responses DESC, staff_member ASC
