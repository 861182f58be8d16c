-- negative_spikes_daily: a flag for days when complaints or negative messages spike.
-- Grain: network, account_id, date (UTC), every day from the account's first to its last message.
-- negative_messages: inbound messages classified as complaints, or, where the network does not
-- classify (intent null), with negative wording (is_negative).
-- baseline_mean and baseline_sd: the mean and standard deviation of negative_messages over the
-- 28 days before (days without messages count as zero).
-- spike: at least 7 baseline days, at least 5 negative messages, more than the baseline mean plus
-- three standard deviations, and at least twice the baseline mean.
WITH daily AS (
    SELECT
        network,
        account_id,
        CAST(created_at AS DATE) AS date,
        count(*) AS inbound_messages,
        -- CASE, so the wording is only read where the network gave no intent
        count(*) FILTER (WHERE CASE WHEN intent IS NULL THEN is_negative(text) ELSE intent = 'complaint' END) AS negative_messages
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
        coalesce(d.negative_messages, 0) AS negative_messages
    FROM calendar c
    LEFT JOIN daily d USING (network, account_id, date)
),
with_baseline AS (
    SELECT
        *,
        count(*) OVER baseline AS baseline_days,
        avg(negative_messages) OVER baseline AS baseline_mean,
        coalesce(stddev_pop(negative_messages) OVER baseline, 0) AS baseline_sd
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
    negative_messages * 1.0 / nullif(inbound_messages, 0) AS negative_share,
    baseline_days,
    baseline_mean,
    baseline_sd,
    coalesce(
        baseline_days >= 7
        AND negative_messages >= 5
        AND negative_messages > baseline_mean + 3 * baseline_sd
        AND negative_messages >= 2 * baseline_mean,
        FALSE
    ) AS spike
FROM with_baseline
ORDER BY network, account_id, date
