-- extraction_issues_monthly: what the extractions could not read, per account and month.
-- Grain: network, account_id, month (UTC, of the extracted interval's first day).
-- items_skipped: items a connector left out (a malformed comment, a media without insights...).
-- metrics_unavailable: the metric names the network refused for the whole account that month,
-- sorted; their columns are null in post_metrics_daily / audience_daily, never zero.
-- posts_without_insights: posts whose own insights were refused (their insight metrics are null).
-- replies_absent: replies an imported export lists for the month's requests but does not hold
-- (a requests-only extract): those requests' response figures are incomplete, not unanswered.
SELECT
    network,
    account_id,
    strftime(date, '%Y-%m') AS month,
    count(*) FILTER (WHERE kind = 'item_skipped') AS items_skipped,
    list_sort(list_distinct(list(metric) FILTER (
        WHERE kind = 'metric_unavailable' AND object_id IS NULL AND metric IS NOT NULL
    ))) AS metrics_unavailable,
    count(DISTINCT object_id) FILTER (WHERE kind = 'metric_unavailable') AS posts_without_insights,
    count(*) FILTER (WHERE kind = 'reply_absent') AS replies_absent
FROM extraction_issues
GROUP BY ALL
ORDER BY network, account_id, month
