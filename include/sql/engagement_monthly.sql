-- engagement_monthly: quality over quantity, per account and month of publication.
-- Grain: network, account_id, month (UTC, of the post's publication).
-- engagement_rate = sum(engagements) / sum(impressions), over posts reporting both.
-- engagements_per_post = sum(engagements) / posts reporting engagements.
-- amplification = shares (retweets, reposts, repins); conversation = replies and comments received;
-- link_clicks = links followed. Each is the sum of the posts' latest lifetime totals.
-- conversation_share = share of our posts that answer or join a conversation (is_conversation).
-- Each month's own figures: the <metric>_change and prev_ columns are added when read
-- (include/sql/read/engagement_monthly.sql).
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
