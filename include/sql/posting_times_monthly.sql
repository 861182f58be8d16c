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
-- Each local month's cells first (a few thousand rows, not a million posts), then summed over
-- the window's three months: counts and integer sums add up exactly, and the ratios are taken
-- of the sums, as over the posts themselves.
local_posts AS (
    SELECT
        p.network,
        p.account_id,
        p.engagements,
        p.impressions,
        timezone(coalesce(z.time_zone, 'UTC'), p.created_at) AS local_at
    FROM post_performance p
    LEFT JOIN zones z USING (network, account_id)
),
cells AS (
    SELECT
        network,
        account_id,
        strftime(local_at, '%Y-%m') AS local_month,
        isodow(local_at) AS weekday,
        hour(local_at) AS hour,
        count(*) AS posts,
        count(engagements) AS posts_with_engagements,
        sum(engagements) AS engagements,
        count(*) FILTER (WHERE engagements IS NOT NULL AND impressions IS NOT NULL) AS posts_reporting_both,
        sum(engagements) FILTER (WHERE impressions IS NOT NULL) AS engagements_reporting_both,
        sum(impressions) FILTER (WHERE engagements IS NOT NULL) AS impressions_reporting_both
    FROM local_posts
    GROUP BY ALL
),
-- Every month whose window holds a post: a post's month and the two after it (a month without
-- posts of its own still has the two before it). An equality join on these pairs, not an IN over
-- computed months: that was a nested comparison per post and month (8 s at a million posts).
windows AS (
    SELECT DISTINCT
        c.local_month,
        strftime(CAST(c.local_month || '-01' AS DATE) + to_months(n.n), '%Y-%m') AS month
    FROM (SELECT DISTINCT local_month FROM cells) AS c
    CROSS JOIN (VALUES (0), (1), (2)) AS n (n)
)

SELECT
    c.network,
    c.account_id,
    w.month,
    previous_month(previous_month(w.month)) AS window_start,
    c.weekday,
    c.hour,
    CAST(sum(c.posts) AS BIGINT) AS posts,
    CAST(sum(c.posts_with_engagements) AS BIGINT) AS posts_with_engagements,
    sum(c.engagements) * 1.0 / nullif(sum(c.posts_with_engagements), 0) AS engagements_per_post,
    CAST(sum(c.posts_reporting_both) AS BIGINT) AS posts_reporting_both,
    sum(c.engagements_reporting_both) * 1.0 / nullif(sum(c.impressions_reporting_both), 0) AS engagement_rate
FROM cells AS c
INNER JOIN windows AS w ON c.local_month = w.local_month
GROUP BY ALL
ORDER BY c.network ASC, c.account_id ASC, w.month ASC, c.weekday ASC, c.hour ASC
