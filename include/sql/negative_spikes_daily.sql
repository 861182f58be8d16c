-- negative_spikes_daily: a flag for days when the share of negative messages spikes.
-- Grain: network, account_id, date (UTC), every day from the account's first to its last message.
-- negative_messages: inbound messages the classifier marks is_negative (docs/metrics.md);
-- negative_share = negative_messages / inbound_messages (null on a day without messages).
-- The baseline is the 28 days before the day:
--   baseline_mean, baseline_sd: mean and population standard deviation of negative_messages
--     (days without messages count as zero), for reading the volume beside the share;
--   baseline_days: days of the window with messages (the share is defined);
--   baseline_share: the window's pooled share, sum(negative) / sum(inbound);
--   baseline_share_sd: the SAMPLE standard deviation (stddev_samp, n - 1) of the daily shares of
--     those days: a few weeks are a sample of the account's normal days, not all of them.
-- spike: at least 7 baseline days, a minimum volume (at least 10 inbound and 5 negative
-- messages that day), and a share well above the baseline: more than baseline_share plus three
-- sample standard deviations, and at least 5 share points above it (a window of near-identical
-- days has a tiny deviation). More messages at the usual share is not a spike: a growing account,
-- or the first weeks of history filling in, keeps its normal 4-8% and is never flagged.
WITH daily AS (
    SELECT
        network,
        account_id,
        utc_date(created_at) AS date,
        count(*) AS inbound_messages,
        count(*) FILTER (WHERE is_negative) AS negative_messages
    FROM messages
    WHERE direction = 'inbound'
    GROUP BY ALL
),
spans AS (
    SELECT network, account_id, min(date) AS first_day, max(date) AS last_day
    FROM daily
    GROUP BY ALL
),
calendar AS (
    SELECT network, account_id, CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS date
    FROM spans
),
filled AS (
    SELECT
        c.network,
        c.account_id,
        c.date,
        coalesce(d.inbound_messages, 0) AS inbound_messages,
        coalesce(d.negative_messages, 0) AS negative_messages,
        d.negative_messages * 1.0 / nullif(d.inbound_messages, 0) AS negative_share
    FROM calendar c
    LEFT JOIN daily d USING (network, account_id, date)
),
with_baseline AS (
    SELECT
        *,
        count(negative_share) OVER baseline AS baseline_days,
        avg(negative_messages) OVER baseline AS baseline_mean,
        coalesce(stddev_pop(negative_messages) OVER baseline, 0) AS baseline_sd,
        sum(negative_messages) OVER baseline * 1.0 / nullif(sum(inbound_messages) OVER baseline, 0) AS baseline_share,
        coalesce(stddev_samp(negative_share) OVER baseline, 0) AS baseline_share_sd
    FROM filled
    WINDOW baseline AS (PARTITION BY network, account_id ORDER BY date ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)
)
SELECT
    network,
    account_id,
    date,
    strftime(date, '%Y-%m') AS month,
    inbound_messages,
    negative_messages,
    negative_share,
    baseline_days,
    baseline_mean,
    baseline_sd,
    baseline_share,
    baseline_share_sd,
    coalesce(
        baseline_days >= 7
        AND inbound_messages >= 10
        AND negative_messages >= 5
        AND negative_share > baseline_share + 3 * baseline_share_sd
        AND negative_share >= baseline_share + 0.05,
        FALSE
    ) AS spike
FROM with_baseline
ORDER BY network, account_id, date
