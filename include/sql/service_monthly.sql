-- service_monthly: did we answer our customers, and how fast? Per account and month of request.
-- Grain: network, account_id, month (UTC, of the request; see service_requests for definitions).
-- response_rate = answered / requests (answered by us, up to as_of; any later month counts).
-- median_ and p90_response_hours: time to first response over answered requests, calendar
-- hours, continuous quantiles (linear interpolation between the two nearest answers).
-- within_sla_share = met / (met + missed): requests still pending inside the SLA are not judged.
-- resolved, reopened: requests by resolution_status (service_requests); median_ and
-- p90_resolution_hours: time to resolution over the resolved requests only (reopened and open
-- requests have none), calendar hours, continuous quantiles.
-- open_requests: the month's requests still unanswered at as_of.
-- backlog_at_month_end: every request sent up to the month's end (of any month) and not answered
-- by then, i.e. the unanswered pile as it stood when the month closed. A running balance over all
-- of history: an incremental run reads the requests of its window only (its first recomputed
-- month on) and the flows of the earlier requests from backlog_carried (network,
-- account_id, month, opened, closed; socialpulse/incremental.py, carry_backlog): the balance at the
-- end of the last earlier month with requests, and the earlier requests answered after it. A full
-- run reads every request, and backlog_carried is empty.
-- negative_requests: requests the classifier marks is_negative.
-- spike_days: days of the month flagged in negative_spikes_daily.
-- Each month's own figures: the <metric>_change and prev_ columns are added when read
-- (include/sql/read/service_monthly.sql).
-- The requests are read once (a view of them would be scanned by each of the three reads).
WITH request_rows AS MATERIALIZED (
    SELECT
        network,
        account_id,
        month,
        response_month,
        responded_at,
        response_hours,
        resolution_status,
        resolution_hours,
        sla_status,
        community_replies,
        intent,
        negative
    FROM service_requests
),

monthly AS (
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
        count(*) FILTER (WHERE resolution_status = 'resolved') AS resolved,
        count(*) FILTER (WHERE resolution_status = 'reopened') AS reopened,
        quantile_cont(resolution_hours, 0.5) AS median_resolution_hours,
        quantile_cont(resolution_hours, 0.9) AS p90_resolution_hours,
        count(*) FILTER (WHERE sla_status = 'met') AS within_sla,
        count(*) FILTER (WHERE sla_status = 'missed') AS missed_sla,
        count(*) FILTER (WHERE sla_status = 'pending') AS pending_sla,
        count(*) FILTER (WHERE sla_status = 'met') * 1.0
            / nullif(count(*) FILTER (WHERE sla_status IN ('met', 'missed')), 0) AS within_sla_share,
        count(*) FILTER (WHERE response_month > month) AS answered_in_a_later_month,
        count(*) FILTER (WHERE community_replies > 0) AS community_replied,
        count(*) FILTER (WHERE intent = 'complaint') AS complaints,
        count(*) FILTER (WHERE negative) AS negative_requests
    FROM request_rows
    GROUP BY ALL
),
-- The backlog as a running balance: +1 in the month a request arrives, -1 in the month answered.
flows AS (
    SELECT network, account_id, month, 1 AS opened, 0 AS closed FROM request_rows
    UNION ALL
    SELECT network, account_id, response_month, 0, 1 FROM request_rows WHERE responded_at IS NOT NULL
    UNION ALL
    SELECT network, account_id, month, opened, closed FROM backlog_carried
),
backlog AS (
    SELECT
        network,
        account_id,
        month,
        sum(sum(opened) - sum(closed)) OVER (PARTITION BY network, account_id ORDER BY month) AS backlog_at_month_end
    FROM flows
    GROUP BY network, account_id, month
),
spikes AS (
    SELECT network, account_id, month, count(*) FILTER (WHERE spike) AS spike_days
    FROM negative_spikes_daily
    GROUP BY ALL
)

SELECT m.*, b.backlog_at_month_end::BIGINT AS backlog_at_month_end, coalesce(s.spike_days, 0) AS spike_days
FROM monthly m
LEFT JOIN backlog b USING (network, account_id, month)
LEFT JOIN spikes s USING (network, account_id, month)
