-- content_monthly: cadence, repetition and flogging, per account and month.
-- Grain: network, account_id, month (UTC).
-- posts_per_day = posts / calendar days of the month. busy_days have more than 4 posts ("five or six a day from a
-- supermarket is annoying"); engagements_per_post_busy_days / _other_days compare them, and
-- cadence_correlation is the correlation, over the month's posting days, between posts that day
-- and engagements per post that day (negative: more posts, less engagement each).
-- repetition_share = near-duplicate posts / posts; promotional_share = promotional posts / posts.
-- <metric>_change = this month minus the previous calendar month.
-- The sums and the correlation of doubles add the days in date order: cadence_daily is stored in
-- month parts, read in any order, and a sum of doubles differs in its last bits with the order.
WITH monthly AS (
    SELECT
        network,
        account_id,
        month,
        sum(posts)::BIGINT AS posts,
        count(*) AS active_days,
        sum(posts) * 1.0 / day(last_day(min(post_date))) AS posts_per_day,
        max(posts) AS max_posts_per_day,
        count(*) FILTER (WHERE posts > 4) AS busy_days,
        sum(engagements_per_post * posts ORDER BY post_date) FILTER (WHERE posts > 4)
            / nullif(sum(posts) FILTER (WHERE posts > 4 AND engagements_per_post IS NOT NULL), 0) AS engagements_per_post_busy_days,
        sum(engagements_per_post * posts ORDER BY post_date) FILTER (WHERE posts <= 4)
            / nullif(sum(posts) FILTER (WHERE posts <= 4 AND engagements_per_post IS NOT NULL), 0) AS engagements_per_post_other_days,
        corr(posts, engagements_per_post ORDER BY post_date) AS cadence_correlation,
        sum(repeated_posts)::BIGINT AS repeated_posts,
        sum(repeated_posts) * 1.0 / sum(posts) AS repetition_share,
        sum(promotional_posts)::BIGINT AS promotional_posts,
        sum(promotional_posts) * 1.0 / sum(posts) AS promotional_share
    FROM cadence_daily
    GROUP BY ALL
)
SELECT
    m.*,
    m.posts_per_day - prev.posts_per_day AS posts_per_day_change,
    m.repetition_share - prev.repetition_share AS repetition_share_change,
    m.promotional_share - prev.promotional_share AS promotional_share_change
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.month = previous_month(m.month)
ORDER BY m.network, m.account_id, m.month
