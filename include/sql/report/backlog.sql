-- report backlog: the requests still unanswered when the report month closed, oldest first.
-- Same rule as service_monthly.backlog_at_month_end: sent before the month's end (in that month
-- or any earlier one) and not answered by then (unanswered, or answered in a later month).
-- age_days: calendar days from the request to the month's end (variable month_end).
SELECT
    r.network,
    r.account_id,
    r.message_id,
    r.channel,
    coalesce(r.intent, 'request') AS intent,
    r.created_at,
    r.month,
    (epoch_us(getvariable('month_end')) - epoch_us(r.created_at)) / 86400e6 AS age_days
FROM service_requests r
SEMI JOIN report_accounts USING (network, account_id)
WHERE r.created_at < getvariable('month_end')
  AND (r.responded_at IS NULL OR r.responded_at >= getvariable('month_end'))
ORDER BY r.created_at, r.network, r.account_id, r.message_id
