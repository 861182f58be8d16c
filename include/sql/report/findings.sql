-- report findings: the numbers behind the summary in words on page one, one row per candidate.
-- kind, account (network/account_id, or null for all the report's accounts), value, reference,
-- relative (value / reference - 1) and section (the report section the number comes from).
-- sla: a channel's share answered within the SLA this month (service_monthly) against the
--   report's target (variable sla_target);
-- busy_days: a channel's engagements per post on busy days against other days (content_monthly);
-- followers_lost: followers lost this month against last month, all accounts (audience_monthly);
-- backlog: requests still open at month end against last month, all accounts (service_monthly);
-- engagement_rate: engagement rate this month against last month, all accounts, over the posts
--   reporting both (post_performance).
WITH this AS (SELECT getvariable('report_month') AS month),
sla AS (
    SELECT 'sla' AS kind, s.network || '/' || s.account_id AS account, s.within_sla_share AS value,
        getvariable('sla_target') AS reference, '2' AS section
    FROM service_monthly s SEMI JOIN report_accounts USING (network, account_id), this
    WHERE s.month = this.month AND s.within_sla_share IS NOT NULL
),
busy AS (
    SELECT 'busy_days', c.network || '/' || c.account_id, c.engagements_per_post_busy_days,
        c.engagements_per_post_other_days, '5'
    FROM content_monthly c SEMI JOIN report_accounts USING (network, account_id), this
    WHERE c.month = this.month AND c.engagements_per_post_busy_days IS NOT NULL
      AND c.engagements_per_post_other_days IS NOT NULL
),
audience AS (
    SELECT
        'followers_lost', NULL,
        sum(lost) FILTER (WHERE a.month = this.month),
        sum(lost) FILTER (WHERE a.month = previous_month(this.month)), '4'
    FROM audience_monthly a SEMI JOIN report_accounts USING (network, account_id), this
),
backlog AS (
    SELECT
        'backlog', NULL,
        sum(backlog_at_month_end) FILTER (WHERE s.month = this.month),
        sum(backlog_at_month_end) FILTER (WHERE s.month = previous_month(this.month)), '3'
    FROM service_monthly s SEMI JOIN report_accounts USING (network, account_id), this
),
rate AS (
    SELECT
        'engagement_rate', NULL,
        sum(engagements) FILTER (WHERE p.month = this.month AND impressions IS NOT NULL) * 1.0
            / nullif(sum(impressions) FILTER (WHERE p.month = this.month AND engagements IS NOT NULL), 0),
        sum(engagements) FILTER (WHERE p.month = previous_month(this.month) AND impressions IS NOT NULL) * 1.0
            / nullif(sum(impressions) FILTER (WHERE p.month = previous_month(this.month) AND engagements IS NOT NULL), 0),
        '1'
    FROM post_performance p SEMI JOIN report_accounts USING (network, account_id), this
),
candidates AS (
    SELECT * FROM sla
    UNION ALL SELECT * FROM busy
    UNION ALL SELECT * FROM audience
    UNION ALL SELECT * FROM backlog
    UNION ALL SELECT * FROM rate
)
SELECT
    kind,
    account,
    value::DOUBLE AS value,
    reference::DOUBLE AS reference,
    value::DOUBLE / nullif(reference::DOUBLE, 0) - 1 AS relative,
    value::DOUBLE - reference::DOUBLE AS difference,
    section
FROM candidates
WHERE value IS NOT NULL
ORDER BY kind, account
