-- cadence_daily: posts per day per account against engagement per post that day.
-- Grain: network, account_id, post_date. Days without posts are absent.
-- Used to show whether engagement per post falls when an account posts too often.
SELECT
    network,
    account_id,
    post_date,
    month,
    count(*) AS posts,
    avg(engagements) AS engagements_per_post,
    sum(engagements) * 1.0 / nullif(sum(impressions), 0) AS engagement_rate,
    count(*) - count(DISTINCT text) AS repeated_posts
FROM post_performance
GROUP BY ALL
ORDER BY network, account_id, post_date
