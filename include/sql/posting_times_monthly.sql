-- posting_times_monthly: the best time to post. Engagement per post by the weekday and hour a
-- post was published, in the account's own time zone (the latest time_zone of the accounts
-- table; UTC without one), as cadence is judged in the account's local time.
-- Grain: network, account_id, month, weekday (ISO, 1 = Monday), hour (0-23, local). Only cells
-- with posts in the window have a row.
-- Window: the posts published in the local month and the two months before it (window_start),
-- a quarter: about 13 of each weekday, where one month gives four or five, too few posts per
-- hour to compare hours; three months stay recent enough for the season.
-- posts: posts published in the cell; posts_with_engagements: those reporting engagements.
-- engagements_per_post = sum(engagements) / posts reporting engagements: null (never zero) when
-- none does, as for a network that does not report them.
-- engagement_rate = sum(engagements) / sum(impressions) over the posts reporting both.
WITH zones AS (
    SELECT network, account_id, arg_max(time_zone, snapshot_date) AS time_zone
    FROM accounts
    GROUP BY ALL
),
local_posts AS (
    SELECT
        p.network,
        p.account_id,
        p.engagements,
        p.impressions,
        timezone(coalesce(z.time_zone, 'UTC'), p.created_at) AS local_at,
        strftime(timezone(coalesce(z.time_zone, 'UTC'), p.created_at), '%Y-%m') AS local_month
    FROM post_performance p
    LEFT JOIN zones z USING (network, account_id)
),
-- Every month whose window holds a post: a post's month and the two after it (a month without
-- posts of its own still has the two before it). An equality join on these pairs, not an IN over
-- computed months: that was a nested comparison per post and month (8 s at a million posts).
windows AS (
    SELECT DISTINCT
        p.local_month,
        strftime(CAST(p.local_month || '-01' AS DATE) + to_months(n.n), '%Y-%m') AS month
    FROM (SELECT DISTINCT local_month FROM local_posts) AS p
    CROSS JOIN (VALUES (0), (1), (2)) AS n (n)
)

SELECT
    p.network,
    p.account_id,
    w.month,
    previous_month(previous_month(w.month)) AS window_start,
    isodow(p.local_at) AS weekday,
    hour(p.local_at) AS hour,
    count(*) AS posts,
    count(p.engagements) AS posts_with_engagements,
    sum(p.engagements) * 1.0 / nullif(count(p.engagements), 0) AS engagements_per_post,
    count(*) FILTER (WHERE p.engagements IS NOT NULL AND p.impressions IS NOT NULL) AS posts_reporting_both,
    sum(p.engagements) FILTER (WHERE p.impressions IS NOT NULL) * 1.0
    / nullif(sum(p.impressions) FILTER (WHERE p.engagements IS NOT NULL), 0) AS engagement_rate
FROM local_posts AS p
INNER JOIN windows AS w ON p.local_month = w.local_month
GROUP BY ALL
ORDER BY p.network ASC, p.account_id ASC, w.month ASC, weekday ASC, hour ASC
