-- report response times: the month's answered requests by time to first response (calendar
-- hours), in the histogram's buckets. Every bucket is listed, empty ones with 0.
WITH buckets (bucket, label, low, high) AS (
    VALUES (0, '< 1 h', 0, 1), (1, '1-4 h', 1, 4), (2, '4-8 h', 4, 8), (3, '8-24 h', 8, 24),
        (4, '1-2 days', 24, 48), (5, '> 2 days', 48, NULL)
),
answered AS (
    SELECT response_hours
    FROM service_requests
    SEMI JOIN report_accounts USING (network, account_id)
    WHERE month = getvariable('report_month') AND response_hours IS NOT NULL
)
SELECT
    b.bucket,
    b.label,
    count(a.response_hours) AS requests
FROM buckets b
LEFT JOIN answered a ON a.response_hours >= b.low AND (b.high IS NULL OR a.response_hours < b.high)
GROUP BY ALL
ORDER BY b.bucket
