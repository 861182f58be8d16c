-- influence_leaders_monthly: community members who post often and whom others answer.
-- Grain: network, account_id, month (UTC, of the member's messages), author_id.
-- messages: the member's inbound messages in the month. replies_received: inbound replies to
-- those messages (parent_id) from other community members; our own replies do not count (that
-- is service, not influence), nor the member's replies to themself, and a reply to a reply counts
-- only for the message it answers directly. A reply and its parent are matched within one of our
-- accounts: a message stored by two of our accounts is counted once in each, with that account's
-- replies, and a reply held by one account never credits a member in another.
-- distinct_repliers: how many different members replied.
-- score = messages + 3 x replies_received: being answered weighs three times posting.
-- Only members with at least one reply received are listed; rank 1 is the highest score of the
-- account's month (ties broken by author_id). Each month's own figures: score_change is added
-- when read (include/sql/read/influence_leaders_monthly.sql).
-- Each reply from another member, credited to the author and month of the message it answers.
-- Two plain scans of messages, not one shared CTE: DuckDB materialised it (7 M wide rows).
WITH replies AS (
    SELECT
        parent.network,
        parent.account_id,
        utc_month(parent.created_at) AS month,
        parent.author_id,
        parent.author_handle,
        child.author_id AS replier
    FROM messages AS child
    INNER JOIN messages AS parent
        ON child.network = parent.network
        AND child.account_id = parent.account_id
        AND child.parent_id = parent.message_id
    WHERE
        child.direction = 'inbound'
        AND parent.direction = 'inbound'
        AND child.parent_id IS NOT NULL
        AND child.author_id <> parent.author_id
),

-- Counted per replier first, then per member: one grouping after the other instead of a count
-- of distinct repliers beside a count of replies, for which DuckDB stored every reply again.
received AS (
    SELECT
        network,
        account_id,
        month,
        author_id,
        any_value(author_handle) AS author_handle,
        CAST(sum(replies) AS BIGINT) AS replies_received,
        count(replier) AS distinct_repliers
    FROM (
        SELECT network, account_id, month, author_id, replier, any_value(author_handle) AS author_handle, count(*) AS replies
        FROM replies
        GROUP BY network, account_id, month, author_id, replier
    ) AS by_replier
    GROUP BY network, account_id, month, author_id
),

-- Grouped by the month's first instant and named after (utc_month_start).
posted AS (
    SELECT network, account_id, strftime(month_start, '%Y-%m') AS month, author_id, messages
    FROM (
        SELECT network, account_id, utc_month_start(created_at) AS month_start, author_id, count(*) AS messages
        FROM messages
        WHERE direction = 'inbound'
        GROUP BY ALL
    ) AS by_month
),

monthly AS (
    SELECT
        network,
        account_id,
        month,
        author_id,
        r.author_handle,
        p.messages,
        r.replies_received,
        r.distinct_repliers,
        p.messages + 3 * r.replies_received AS score
    FROM received r
    JOIN posted p USING (network, account_id, month, author_id)
)
SELECT
    *,
    row_number() OVER (PARTITION BY network, account_id, month ORDER BY score DESC, author_id ASC) AS rank
FROM monthly
