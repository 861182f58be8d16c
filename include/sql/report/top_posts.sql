-- report top posts: the month's five posts with the most engagements (not reach), with each
-- post's engagement rate (engagements / impressions; null when impressions are not reported).
SELECT
    network,
    account_id,
    post_id,
    created_at,
    text,
    engagements,
    impressions,
    engagements * 1.0 / nullif(impressions, 0) AS engagement_rate
FROM post_performance
SEMI JOIN report_accounts USING (network, account_id)
WHERE month = getvariable('report_month') AND engagements IS NOT NULL
ORDER BY engagements DESC, post_id ASC
LIMIT 5
