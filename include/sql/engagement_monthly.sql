-- engagement_monthly: quality over quantity, per account and month of publication.
-- Grain: network, account_id, month.
-- engagement_rate = sum(engagements) / sum(impressions) over posts reporting impressions.
-- amplification = shares (retweets, reposts); conversation = replies received.
-- conversation_share = share of our posts that answer or join a conversation (kind = 'reply').
-- Month-over-month change compares with the previous calendar month of the same account.
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
        avg(CASE WHEN kind = 'reply' THEN 1.0 ELSE 0.0 END) AS conversation_share,
        sum(engagements) FILTER (WHERE impressions IS NOT NULL) * 1.0
            / nullif(sum(impressions) FILTER (WHERE engagements IS NOT NULL), 0) AS engagement_rate,
        sum(engagements) * 1.0 / count(*) AS engagements_per_post
    FROM post_performance
    GROUP BY ALL
)
SELECT
    m.*,
    prev.engagement_rate AS prev_engagement_rate,
    m.engagement_rate - prev.engagement_rate AS engagement_rate_change,
    prev.engagements_per_post AS prev_engagements_per_post,
    m.engagements_per_post - prev.engagements_per_post AS engagements_per_post_change
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.month = strftime(CAST(m.month || '-01' AS DATE) - INTERVAL 1 MONTH, '%Y-%m')
ORDER BY m.network, m.account_id, m.month
