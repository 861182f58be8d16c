-- report totals: the report's figures for all its accounts together, one row per month.
-- Not a mart: the report runs it over the marts, restricted to its accounts (table
-- report_accounts). The KPI cards read the report month and the month before, the trend charts
-- the last 13 months. Definitions are the marts' (docs/metrics.md), over every account at once:
-- engagement_rate = sum(engagements) / sum(impressions) over the posts reporting both;
-- engagements_per_post = sum(engagements) / posts reporting engagements;
-- net_followers, followers_gained, followers_lost: sums of audience_monthly;
-- requests, answered, response_rate, median_/p90_response_hours (continuous quantiles) and
-- within_sla_share = met / (met + missed), resolved and median_/p90_resolution_hours (over the
-- resolved requests), over the month's service requests;
-- backlog_at_month_end: the sum of service_monthly.backlog_at_month_end, i.e. every request sent
-- up to the month's end (in any month) and not answered by then.
WITH posts AS (
    SELECT
        month,
        count(*) AS posts,
        sum(engagements)::BIGINT AS engagements,
        sum(engagements) FILTER (WHERE impressions IS NOT NULL) * 1.0
            / nullif(sum(impressions) FILTER (WHERE engagements IS NOT NULL), 0) AS engagement_rate,
        sum(engagements) * 1.0 / nullif(count(engagements), 0) AS engagements_per_post
    FROM post_performance
    SEMI JOIN report_accounts USING (network, account_id)
    GROUP BY month
),
audience AS (
    SELECT
        month,
        sum(net)::BIGINT AS net_followers,
        sum(gained)::BIGINT AS followers_gained,
        sum(lost)::BIGINT AS followers_lost
    FROM audience_monthly
    SEMI JOIN report_accounts USING (network, account_id)
    GROUP BY month
),
service AS (
    SELECT
        month,
        count(*) AS requests,
        count(responded_at) AS answered,
        count(responded_at) * 1.0 / count(*) AS response_rate,
        quantile_cont(response_hours, 0.5) AS median_response_hours,
        quantile_cont(response_hours, 0.9) AS p90_response_hours,
        count(*) FILTER (WHERE resolution_status = 'resolved') AS resolved,
        quantile_cont(resolution_hours, 0.5) AS median_resolution_hours,
        quantile_cont(resolution_hours, 0.9) AS p90_resolution_hours,
        count(*) FILTER (WHERE sla_status = 'met') * 1.0
            / nullif(count(*) FILTER (WHERE sla_status IN ('met', 'missed')), 0) AS within_sla_share
    FROM service_requests
    SEMI JOIN report_accounts USING (network, account_id)
    GROUP BY month
),
backlog AS (
    SELECT month, sum(backlog_at_month_end)::BIGINT AS backlog_at_month_end
    FROM service_monthly
    SEMI JOIN report_accounts USING (network, account_id)
    GROUP BY month
),
months AS (
    SELECT month FROM posts
    UNION
    SELECT month FROM audience
    UNION
    SELECT month FROM service
)
SELECT
    months.month,
    p.posts,
    p.engagements,
    p.engagement_rate,
    p.engagements_per_post,
    a.net_followers,
    a.followers_gained,
    a.followers_lost,
    coalesce(s.requests, 0) AS requests,
    coalesce(s.answered, 0) AS answered,
    s.response_rate,
    s.median_response_hours,
    s.p90_response_hours,
    coalesce(s.resolved, 0) AS resolved,
    s.median_resolution_hours,
    s.p90_resolution_hours,
    s.within_sla_share,
    b.backlog_at_month_end
FROM months
LEFT JOIN posts p USING (month)
LEFT JOIN audience a USING (month)
LEFT JOIN service s USING (month)
LEFT JOIN backlog b USING (month)
WHERE months.month <= getvariable('report_month')
ORDER BY months.month
