-- cadence_daily: posts per day per account against engagement per post that day.
-- Grain: network, account_id, post_date: the day in the account's time zone (the latest
-- time_zone of the accounts table; UTC when the account has none), as docs/data-model.md says
-- cadence is judged, so six posts on one Auckland day are one busy day, not 2 + 4 across UTC
-- dates. month is the month of that local day. Days without posts are absent.
-- engagement_rate: over the posts reporting both engagements and impressions.
-- Shows whether engagement per post falls when an account posts too often.
-- repeated_posts: posts that day that are near-duplicates of an earlier post (is_repeat);
-- promotional_posts: posts that day whose text sells (is_promotional).
WITH zones AS (
    SELECT network, account_id, arg_max(time_zone, snapshot_date) AS time_zone
    FROM accounts
    GROUP BY ALL
),
local_posts AS (
    SELECT
        p.*,
        CAST(timezone(coalesce(z.time_zone, 'UTC'), p.created_at) AS DATE) AS local_date
    FROM post_performance p
    LEFT JOIN zones z USING (network, account_id)
)
SELECT
    network,
    account_id,
    local_date AS post_date,
    strftime(local_date, '%Y-%m') AS month,
    count(*) AS posts,
    avg(engagements) AS engagements_per_post,
    sum(engagements) FILTER (WHERE impressions IS NOT NULL) * 1.0
        / nullif(sum(impressions) FILTER (WHERE engagements IS NOT NULL), 0) AS engagement_rate,
    count(*) FILTER (WHERE is_repeat) AS repeated_posts,
    count(*) FILTER (WHERE is_promotional) AS promotional_posts
FROM local_posts
GROUP BY network, account_id, local_date
ORDER BY network, account_id, post_date
