-- staff_monthly: people, not logos. Who answered, how many and how fast, per month.
-- Grain: network, account_id, month (UTC), staff_member.
-- first_responses: requests of the month whose first response this person sent (as in
-- service_monthly, a request belongs to the month it was sent); their median and p90 response
-- hours and the share within the SLA (met / first responses). replies: every outbound message
-- the person sent in the month, first responses or not. Unsigned messages count as 'unattributed'.
-- Time to resolution is the first responder's (who took the request), whoever sent the turn's
-- last reply: resolved, and median_ and p90_resolution_hours over those resolved requests.
-- Only people with at least one first response in the month have a row.
-- Each month's own figures: the <metric>_change columns are added when read
-- (include/sql/read/staff_monthly.sql).
WITH first_responses AS (
    SELECT
        network,
        account_id,
        month,
        coalesce(responder, 'unattributed') AS staff_member,
        count(*) AS first_responses,
        quantile_cont(response_hours, 0.5) AS median_response_hours,
        quantile_cont(response_hours, 0.9) AS p90_response_hours,
        avg(CASE WHEN sla_status = 'met' THEN 1.0 ELSE 0.0 END) AS within_sla_share,
        count(*) FILTER (WHERE resolution_status = 'resolved') AS resolved,
        quantile_cont(resolution_hours, 0.5) AS median_resolution_hours,
        quantile_cont(resolution_hours, 0.9) AS p90_resolution_hours
    FROM service_requests
    WHERE responded_at IS NOT NULL
    GROUP BY ALL
),
-- Grouped by the month's first instant and named after (utc_month_start).
replies AS (
    SELECT network, account_id, strftime(month_start, '%Y-%m') AS month, staff_member, replies
    FROM (
        SELECT
            network,
            account_id,
            utc_month_start(created_at) AS month_start,
            coalesce(staff_member, 'unattributed') AS staff_member,
            count(*) AS replies
        FROM messages
        WHERE direction = 'outbound'
        GROUP BY ALL
    ) AS by_month
)

SELECT
    network,
    account_id,
    month,
    staff_member,
    f.first_responses,
    f.median_response_hours,
    f.p90_response_hours,
    f.within_sla_share,
    f.resolved,
    f.median_resolution_hours,
    f.p90_resolution_hours,
    coalesce(r.replies, 0) AS replies
FROM first_responses f
LEFT JOIN replies r USING (network, account_id, month, staff_member)
