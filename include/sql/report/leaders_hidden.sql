-- report leaders hidden: how many of the month's influence leaders of the report's accounts are
-- not named because they also sent one of the month's service requests to any of our accounts (see leaders.sql).
SELECT count(*) AS hidden_leaders
FROM influence_leaders_monthly l
SEMI JOIN report_accounts USING (network, account_id)
WHERE l.month = getvariable('report_month')
  AND EXISTS (
      SELECT 1
      FROM service_requests r
      JOIN messages m USING (network, account_id, message_id)
      WHERE r.month = getvariable('report_month') AND m.network = l.network AND m.author_id = l.author_id
  )
