-- audience_monthly: the leaky bucket, per account and month.
-- Grain: network, account_id, month (UTC).
-- gained and lost are summed over the days the network reported them; net = gained - lost.
-- churn_rate = lost / followers at the start of the month (the first reported day's total minus
-- that day's net change). followers_end is the last reported total of the month.
-- <metric>_change = this month minus the previous calendar month (churn in rate points).
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
),
with_churn AS (
    SELECT *, lost * 1.0 / nullif(followers_start, 0) AS churn_rate
    FROM monthly
)
SELECT
    m.*,
    m.gained - prev.gained AS gained_change,
    m.lost - prev.lost AS lost_change,
    prev.net AS prev_net,
    m.net - prev.net AS net_change,
    m.churn_rate - prev.churn_rate AS churn_rate_change
FROM with_churn m
LEFT JOIN with_churn prev
    ON prev.network = m.network
    AND prev.account_id = m.account_id
    AND prev.month = previous_month(m.month)
ORDER BY m.network, m.account_id, m.month
