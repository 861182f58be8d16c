-- language_monthly: the languages customers write in, per account and month (the report's
-- language mix).
-- Grain: network, account_id, month (UTC), language. Inbound messages only.
-- language: the classifier's ISO 639-1 code, or null when it could not tell (too short, no
-- letters, not sure: docs/metrics.md, "Message classes").
-- share = inbound_messages / the account's inbound messages that month (nulls included).
-- Grouped by the month's first instant and named after (utc_month_start).
WITH counted AS MATERIALIZED (
    SELECT network, account_id, strftime(month_start, '%Y-%m') AS month, language, inbound_messages
    FROM (
        SELECT network, account_id, utc_month_start(created_at) AS month_start, language, count(*) AS inbound_messages
        FROM messages
        WHERE direction = 'inbound'
        GROUP BY ALL
    ) AS by_month
)
SELECT
    *,
    inbound_messages * 1.0 / sum(inbound_messages) OVER (PARTITION BY network, account_id, month) AS share
FROM counted
ORDER BY network ASC, account_id ASC, month ASC, inbound_messages DESC, language ASC
