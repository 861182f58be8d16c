-- report posting times: the best time to post, per report account: the cells of
-- posting_times_monthly for the report month (its posts and those of the two months before, by
-- weekday and hour in the account's time zone). status: 'not_reported' when no post of the cell
-- reports engagements (the network does not: null, never zero); 'too_few' when fewer than
-- the variable posting_min_posts (report.POSTING_MIN_POSTS, 3) do, too few to tell one hour from
-- another; 'shown' otherwise.
SELECT
    network,
    account_id,
    window_start,
    weekday,
    hour,
    posts,
    posts_with_engagements,
    engagements_per_post,
    CASE
        WHEN posts_with_engagements = 0 THEN 'not_reported'
        WHEN posts_with_engagements < getvariable('posting_min_posts') THEN 'too_few'
        ELSE 'shown'
    END AS status
FROM posting_times_monthly
SEMI JOIN report_accounts USING (network, account_id)
WHERE month = getvariable('report_month')
ORDER BY network ASC, account_id ASC, weekday ASC, hour ASC
