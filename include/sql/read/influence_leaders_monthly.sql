-- influence_leaders_monthly as readers see it: the stored rows (influence_leaders_monthly_rows,
-- each month's own figures) and score_change = this month's score minus the member's score of
-- the previous calendar month, null without a row for it. Added when read, so that a stored
-- month never depends on the month before: an incremental run recomputes its months without
-- reading that one. Sets stored before 2 Dec 2026 also hold it: read without it.
WITH stored AS (
    SELECT COLUMNS(lambda c: c <> 'score_change') FROM influence_leaders_monthly_rows
)

SELECT
    m.*,
    m.score - prev.score AS score_change
FROM stored AS m
LEFT JOIN stored AS prev
    ON
        m.network = prev.network
        AND m.account_id = prev.account_id
        AND m.author_id = prev.author_id
        AND previous_month(m.month) = prev.month
ORDER BY m.network ASC, m.account_id ASC, m.month ASC, m.score DESC, m.author_id ASC
