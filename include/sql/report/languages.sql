-- report languages: the languages customers wrote in this month, over all the report's accounts
-- (from language_monthly). language: ISO 639-1, null when the classifier could not tell (last).
-- share = inbound messages in that language / all the report's inbound messages of the month.
SELECT
    language,
    sum(inbound_messages) AS messages,
    sum(inbound_messages) * 1.0 / sum(sum(inbound_messages)) OVER () AS share
FROM language_monthly
SEMI JOIN report_accounts USING (network, account_id)
WHERE month = getvariable('report_month')
GROUP BY language
ORDER BY language IS NULL ASC, messages DESC, language ASC
