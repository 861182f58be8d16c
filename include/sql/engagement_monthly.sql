-- engagement_monthly: quality over quantity, per account and month of publication.
-- Grain: network, account_id, month (UTC, of the post's publication).
-- engagement_rate = sum(engagements) / sum(impressions), over posts reporting both.
-- engagements_per_post = sum(engagements) / posts reporting engagements.
-- amplification = shares (retweets, reposts, repins); conversation = replies and comments received;
-- link_clicks = links followed. Each is the sum of the posts' latest lifetime totals.
-- conversation_share = share of our posts that answer or join a conversation (is_conversation).
-- <metric>_change = this month minus the previous calendar month of the same account (a rate's
-- change is in rate points); null when the account has no row for the previous month.
WITH monthly AS (
    SELECT
        network,
        account_id,
        month,
        count(*) AS posts,
        count(DISTINCT post_date) AS active_days,
        sum(impressions)::BIGINT AS impressions,
        sum(engagements)::BIGINT AS engagements,
        sum(likes)::BIGINT AS likes,
        sum(shares)::BIGINT AS amplification,
        sum(replies)::BIGINT AS conversation,
        sum(link_clicks)::BIGINT AS link_clicks,
        sum(saves)::BIGINT AS saves,
        avg(CASE WHEN is_conversation THEN 1.0 ELSE 0.0 END) AS conversation_share,
        sum(engagements) FILTER (WHERE impressions IS NOT NULL) * 1.0
            / nullif(sum(impressions) FILTER (WHERE engagements IS NOT NULL), 0) AS engagement_rate,
        sum(engagements) * 1.0 / nullif(count(engagements), 0) AS engagements_per_post
    FROM post_performance
    GROUP BY ALL
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
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.month = previous_month(m.month)
ORDER BY m.network, m.account_id, m.month
