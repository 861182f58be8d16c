-- audience_monthly: the leaky bucket, per account and month.
-- Grain: network, account_id, month.
-- gained and lost are summed over the days the network reported them; net = gained - lost.
-- churn_rate = lost / followers at the start of the month (the first day's total minus that
-- day's net change). followers_end is the last reported total of the month.
WITH daily AS (
    SELECT *, strftime(date, '%Y-%m') AS month
    FROM audience_daily
),
monthly AS (
    SELECT
        network,
        account_id,
        month,
        count(*) AS days_reported,
        sum(followers_gained)::BIGINT AS gained,
        sum(followers_lost)::BIGINT AS lost,
        (sum(followers_gained) - sum(followers_lost))::BIGINT AS net,
        arg_min(followers_total - coalesce(followers_gained, 0) + coalesce(followers_lost, 0), date) AS followers_start,
        arg_max(followers_total, date) AS followers_end
    FROM daily
    GROUP BY ALL
)
SELECT
    m.*,
    m.lost * 1.0 / nullif(m.followers_start, 0) AS churn_rate,
    prev.net AS prev_net,
    m.net - prev.net AS net_change
FROM monthly m
LEFT JOIN monthly prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.month = strftime(CAST(m.month || '-01' AS DATE) - INTERVAL 1 MONTH, '%Y-%m')
ORDER BY m.network, m.account_id, m.month
