-- influence_leaders_monthly: community members who post often and whom others answer.
-- Grain: network, account_id, month (UTC, of the member's messages), author_id.
-- messages: the member's inbound messages in the month. replies_received: inbound replies to
-- those messages (parent_id) from other community members; our own replies do not count (that
-- is service, not influence), nor the member's replies to themself, and a reply to a reply counts
-- only for the message it answers directly. distinct_repliers: how many different members replied.
-- score = messages + 3 x replies_received: being answered weighs three times posting.
-- Only members with at least one reply received are listed; rank 1 is the highest score of the
-- account's month (ties broken by author_id). score_change: this month minus the previous one.
WITH inbound AS (
    SELECT * FROM messages WHERE direction = 'inbound'
),
received AS (
    SELECT
        parent.network,
        parent.message_id,
        count(*) AS replies_received,
        list(DISTINCT child.author_id) AS repliers
    FROM inbound parent
    JOIN inbound child
        ON child.network = parent.network
        AND child.parent_id = parent.message_id
        AND child.author_id <> parent.author_id
    GROUP BY ALL
),
monthly AS (
    SELECT
        i.network,
        i.account_id,
        strftime(i.created_at, '%Y-%m') AS month,
        i.author_id,
        any_value(i.author_handle) AS author_handle,
        count(*) AS messages,
        coalesce(sum(r.replies_received), 0)::BIGINT AS replies_received,
        len(list_distinct(flatten(list(r.repliers) FILTER (WHERE r.repliers IS NOT NULL)))) AS distinct_repliers,
        (count(*) + 3 * coalesce(sum(r.replies_received), 0))::BIGINT AS score
    FROM inbound i
    LEFT JOIN received r USING (network, message_id)
    GROUP BY ALL
    HAVING coalesce(sum(r.replies_received), 0) > 0
)
SELECT
    m.*,
    row_number() OVER (PARTITION BY m.network, m.account_id, m.month ORDER BY m.score DESC, m.author_id) AS rank,
    m.score - prev.score AS score_change
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.author_id = m.author_id
    AND prev.month = previous_month(m.month)
ORDER BY m.network, m.account_id, m.month, m.score DESC, m.author_id
