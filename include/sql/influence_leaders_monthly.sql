-- influence_leaders_monthly: community members who post often and whom others answer.
-- Grain: network, account_id, month, author_id.
-- score = messages posted + 3 x replies received from other community members (not from us);
-- only inbound authors count, and only those with at least one reply received are ranked.
WITH inbound AS (
    SELECT * FROM messages WHERE direction = 'inbound'
),
received AS (
    SELECT parent.network, parent.message_id, count(*) AS replies_received
    FROM inbound parent
    JOIN inbound child
        ON child.network = parent.network
        AND child.parent_id = parent.message_id
        AND child.author_id <> parent.author_id
    GROUP BY ALL
)
SELECT
    i.network,
    i.account_id,
    strftime(i.created_at, '%Y-%m') AS month,
    i.author_id,
    any_value(i.author_handle) AS author_handle,
    count(*) AS messages,
    coalesce(sum(r.replies_received), 0)::BIGINT AS replies_received,
    (count(*) + 3 * coalesce(sum(r.replies_received), 0))::BIGINT AS score
FROM inbound i
LEFT JOIN received r USING (network, message_id)
GROUP BY ALL
HAVING coalesce(sum(r.replies_received), 0) > 0
ORDER BY network, account_id, month, score DESC
