-- report leaders: the month's influence leaders (influence_leaders_monthly) of the report's
-- accounts, highest score first, without anyone who sent one of the month's service requests
-- (to any of our accounts, in or out of the report):
-- customers are never named (leaders_hidden.sql counts who was left out).
WITH requesters AS (
    SELECT DISTINCT m.network, m.author_id
    FROM messages m
    JOIN service_requests r USING (network, account_id, message_id)
    WHERE r.month = getvariable('report_month')
),
leaders AS (
    SELECT l.*, q.author_id IS NOT NULL AS requester
    FROM influence_leaders_monthly l
    SEMI JOIN report_accounts USING (network, account_id)
    LEFT JOIN requesters q ON q.network = l.network AND q.author_id = l.author_id
    WHERE l.month = getvariable('report_month')
)
SELECT
    network,
    account_id,
    author_id,
    author_handle,
    messages,
    replies_received,
    score
FROM leaders
WHERE NOT requester
ORDER BY score DESC, author_id ASC, network ASC, account_id ASC
LIMIT 5
