-- post_performance: one row per post of ours, with its latest totals.
-- Grain: network, account_id, post_id. A post belongs to the month (UTC) it was published; it is
-- stored by post_date, the day (UTC) it was published (incremental.DAY_MARTS).
-- Totals are the latest lifetime snapshot in post_metrics_daily (networks keep updating a post's
-- numbers for days, so the last observation wins; arg_max_null keeps a null the network reported
-- that day, and one arg_max per column costs 5% less than one over a struct of them).
-- engagements = likes + shares + replies + link_clicks + saves, counting what the network reports;
-- a network that reports none of them (or a post not yet measured) leaves engagements null.
-- is_conversation: the post answers or joins a conversation (a reply) rather than broadcasting.
-- is_promotional: the text sells (see is_promotional in _macros.sql).
-- is_repeat: a near-duplicate, i.e. the same normalised text as an earlier post of the same
-- account within the previous 30 days (the first of a series is not a repeat).
-- normalised: the text as repeats compare it (normalised_text in _macros.sql). Stored so that an
-- incremental run reads the earlier posts' from the previous set instead of normalising them
-- again (a regular expression per post, 1 us each: 90 k posts of 30 days, half of the mart's CPU).
WITH latest AS (
    SELECT
        network,
        post_id,
        max(date) AS date,
        {'impressions': arg_max_null(impressions, date), 'likes': arg_max_null(likes, date),
         'shares': arg_max_null(shares, date), 'replies': arg_max_null(replies, date),
         'link_clicks': arg_max_null(link_clicks, date), 'saves': arg_max_null(saves, date),
         'video_views': arg_max_null(video_views, date)} AS totals
    FROM post_metrics_daily
    GROUP BY ALL
),
-- is_repeat by a window over narrow rows: a window sorts whole rows, and a post carries its text
-- (7% of the mart's CPU at 1 M posts). earlier_posts (network, account_id, post_id, created_at,
-- normalised) are the posts before those of posts that a repeat may follow: none in a full run,
-- which reads every post; in an incremental run the previous set's rows of the 30 days before the
-- first post it recomputes, so the rest of the mart works on its own posts only.
repeats AS (
    SELECT
        network,
        post_id,
        normalised,
        coalesce(
            normalised <> ''
            AND lag(created_at) OVER (PARTITION BY network, account_id, normalised ORDER BY created_at, post_id)
                >= created_at - INTERVAL 30 DAY,
            FALSE
        ) AS is_repeat
    FROM (
        SELECT network, account_id, post_id, created_at, normalised_text(text) AS normalised FROM posts
        UNION ALL
        SELECT network, account_id, post_id, created_at, normalised FROM earlier_posts
    ) AS p
)
SELECT
    p.network,
    p.account_id,
    p.post_id,
    p.created_at,
    utc_month(p.created_at) AS month,
    utc_date(p.created_at) AS post_date,
    p.kind,
    p.text,
    len(coalesce(p.links, [])) > 0 AS has_link,
    p.staff_member,
    (p.kind = 'reply' OR p.in_reply_to_id IS NOT NULL) AS is_conversation,
    is_promotional(p.text) AS is_promotional,
    r.is_repeat,
    r.normalised,
    m.date AS observed_on,
    m.totals.impressions,
    m.totals.likes,
    m.totals.shares,
    m.totals.replies,
    m.totals.link_clicks,
    m.totals.saves,
    m.totals.video_views,
    CASE WHEN m.totals.likes IS NULL AND m.totals.shares IS NULL AND m.totals.replies IS NULL
              AND m.totals.link_clicks IS NULL AND m.totals.saves IS NULL
         THEN NULL
         ELSE coalesce(m.totals.likes, 0) + coalesce(m.totals.shares, 0) + coalesce(m.totals.replies, 0)
              + coalesce(m.totals.link_clicks, 0) + coalesce(m.totals.saves, 0)
    END AS engagements
FROM posts p
JOIN repeats r USING (network, post_id)
LEFT JOIN latest m USING (network, post_id)
