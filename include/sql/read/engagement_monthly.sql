-- engagement_monthly as readers see it: the stored rows (engagement_monthly_rows, each month's
-- own figures) and, from the previous calendar month of the same account (null when the account
-- has no row for it): <metric>_change = this month minus that month (a rate's change is in rate
-- points), and prev_<metric> = that month's figure. Added when read, so that a stored month
-- never depends on the month before: an incremental run recomputes its months without reading
-- that one. Sets stored before 2 Dec 2026 also hold them: read without them.
WITH stored AS (
    SELECT COLUMNS(lambda c: NOT (suffix(c, '_change') OR prefix(c, 'prev_'))) FROM engagement_monthly_rows
)

SELECT
    m.*,
    m.posts - prev.posts AS posts_change,
    prev.engagement_rate AS prev_engagement_rate,
    m.engagement_rate - prev.engagement_rate AS engagement_rate_change,
    prev.engagements_per_post AS prev_engagements_per_post,
    m.engagements_per_post - prev.engagements_per_post AS engagements_per_post_change,
    m.amplification - prev.amplification AS amplification_change,
    m.conversation - prev.conversation AS conversation_change,
    m.link_clicks - prev.link_clicks AS link_clicks_change,
    m.conversation_share - prev.conversation_share AS conversation_share_change
FROM stored AS m
LEFT JOIN stored AS prev
    ON
        m.network = prev.network
        AND m.account_id = prev.account_id
        AND previous_month(m.month) = prev.month
ORDER BY m.network, m.account_id, m.month
