-- cadence_daily: posts per day per account against engagement per post that day.
-- Grain: network, account_id, post_date (UTC). Days without posts are absent.
-- Shows whether engagement per post falls when an account posts too often.
-- repeated_posts: posts that day that are near-duplicates of an earlier post (is_repeat);
-- promotional_posts: posts that day whose text sells (is_promotional).
SELECT
    network,
    account_id,
    post_date,
    month,
    count(*) AS posts,
    avg(engagements) AS engagements_per_post,
    sum(engagements) * 1.0 / nullif(sum(impressions), 0) AS engagement_rate,
    count(*) FILTER (WHERE is_repeat) AS repeated_posts,
    count(*) FILTER (WHERE is_promotional) AS promotional_posts
FROM post_performance
GROUP BY ALL
ORDER BY network, account_id, post_date
