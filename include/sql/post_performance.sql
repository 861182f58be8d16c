-- post_performance: one row per post of ours.
-- Grain: network, account_id, post_id.
-- Totals are the latest lifetime snapshot in post_metrics_daily (networks keep updating a post's
-- numbers for days, so the last observation wins). A post belongs to the month it was published.
-- engagements = likes + shares + replies + link_clicks + saves, counting what the network reports;
-- a network that reports none of them leaves engagements null rather than zero.
WITH latest AS (
    SELECT *
    FROM post_metrics_daily
    QUALIFY row_number() OVER (PARTITION BY network, post_id ORDER BY date DESC) = 1
)
SELECT
    p.network,
    p.account_id,
    p.post_id,
    p.created_at,
    strftime(p.created_at, '%Y-%m') AS month,
    CAST(p.created_at AS DATE) AS post_date,
    p.kind,
    p.text,
    len(coalesce(p.links, [])) > 0 AS has_link,
    p.staff_member,
    m.date AS observed_on,
    m.impressions,
    m.likes,
    m.shares,
    m.replies,
    m.link_clicks,
    m.saves,
    m.video_views,
    CASE WHEN m.likes IS NULL AND m.shares IS NULL AND m.replies IS NULL AND m.link_clicks IS NULL AND m.saves IS NULL
         THEN NULL
         ELSE coalesce(m.likes, 0) + coalesce(m.shares, 0) + coalesce(m.replies, 0)
              + coalesce(m.link_clicks, 0) + coalesce(m.saves, 0)
    END AS engagements
FROM posts p
LEFT JOIN latest m USING (network, post_id)
