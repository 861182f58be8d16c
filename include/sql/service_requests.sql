-- service_requests: one row per inbound customer service request and our first response to it.
-- Grain: network, message_id (of the request). A request belongs to the month (UTC) it was sent,
-- even when it is answered in a later month.
--
-- Threads: messages are linked by thread_id (the connector or importer sets it to the root of the
-- reply chain), ordered by created_at; in the same second a customer's message comes before ours.
-- A service request is an inbound message that is either
--   * classified by the network as a question or a complaint (intent), or
--   * unclassified (intent null) and opens a customer turn: the first unclassified message of its
--     thread, or the first after one of our replies (a follow-up), sent as a direct message or a
--     mention, or as a comment that asks ('?') or complains (is_negative). Further unclassified
--     messages before our next reply, other customers' included, belong to the turn already open.
-- The first response is our earliest outbound message in the same thread at or after the
-- request's time and no later than as_of. Another customer's answer is not a response: it is
-- only counted in community_replies (inbound replies whose parent_id is the request).
-- response_hours are calendar hours. The SLA clock (sla_clock_hours) counts calendar hours, or
-- business hours in the account's time zone when business hours are configured. The SLA target
-- is the network's (table sla_policy), else the default (variable sla_hours).
-- sla_status: 'met' when answered within the target, 'missed' when answered later or still
-- unanswered past it at as_of, 'pending' when unanswered and not yet past it. as_of is the
-- variable as_of when set, else the latest message of the network in the lake.
-- Rows stay narrow on purpose: at millions of messages joins cost by the width of their rows.
-- thread_key is a 64-bit hash of (network, account_id, thread_id): joining on one integer is
-- several times faster than on three strings. A match is kept only when the thread really is the
-- same, so a hash collision (odds about 3 in a million at 10 million threads) can only lose a reply.
WITH inbound AS (
    SELECT
        network, account_id, thread_id, hash(network, account_id, thread_id) AS thread_key,
        message_id, parent_id, created_at, channel, intent, author_id
    FROM messages
    WHERE direction = 'inbound'
),
ours AS (
    SELECT
        network, account_id, thread_id, hash(network, account_id, thread_id) AS thread_key,
        message_id, created_at, staff_member
    FROM messages
    WHERE direction = 'outbound'
),
-- Unclassified messages come in turns: each is tagged with the time of our latest reply before
-- it in the thread (an inbound message and our reply in the same second: the reply is after).
-- Only they need the text, so only they read it.
unclassified AS (
    SELECT
        i.network, i.account_id, i.thread_id, i.thread_key, i.message_id, i.created_at, i.channel, i.intent, i.author_id,
        is_negative(i.text) AS negative,
        contains(coalesce(i.text, ''), '?') OR is_negative(i.text) AS asks_or_complains,
        CASE WHEN o.thread_id = i.thread_id AND o.account_id = i.account_id AND o.network = i.network
             THEN o.created_at END AS after_our_reply_at
    FROM (
        SELECT *, hash(network, account_id, thread_id) AS thread_key
        FROM messages
        WHERE direction = 'inbound' AND intent IS NULL
    ) i
    ASOF LEFT JOIN ours o
        ON o.thread_key = i.thread_key
        AND o.created_at < i.created_at
),
turn_openers AS (
    SELECT * EXCLUDE (after_our_reply_at)
    FROM unclassified
    QUALIFY row_number() OVER (
        PARTITION BY network, account_id, thread_id, after_our_reply_at ORDER BY created_at, message_id
    ) = 1
),
requests AS (
    SELECT network, account_id, thread_id, thread_key, message_id, created_at, channel, intent, author_id, negative
    FROM turn_openers
    WHERE channel IN ('direct_message', 'mention') OR asks_or_complains
    UNION ALL
    SELECT network, account_id, thread_id, thread_key, message_id, created_at, channel, intent, author_id, intent = 'complaint'
    FROM inbound
    WHERE intent IN ('question', 'complaint')
),
-- Our first reply at or after the request: as of the same second, our reply comes after it.
first_response AS (
    SELECT
        r.* EXCLUDE (thread_key),
        CASE WHEN o.thread_id = r.thread_id AND o.account_id = r.account_id AND o.network = r.network
             THEN {'created_at': o.created_at, 'message_id': o.message_id, 'staff_member': o.staff_member} END AS next_ours
    FROM requests r
    ASOF LEFT JOIN ours o
        ON o.thread_key = r.thread_key
        AND o.created_at >= r.created_at
),
community_replies AS (
    SELECT r.network, r.message_id, count(*) AS community_replies
    FROM requests r
    JOIN (SELECT network, parent_id, author_id FROM inbound WHERE parent_id IS NOT NULL) c
        ON c.network = r.network
        AND c.parent_id = r.message_id
        AND c.author_id <> r.author_id
    GROUP BY ALL
),
as_of AS (
    SELECT network, coalesce(getvariable('as_of'), max(created_at)) AS as_of
    FROM messages
    GROUP BY ALL
),
time_zones AS (
    SELECT network, account_id, arg_max(time_zone, snapshot_date) AS time_zone
    FROM accounts
    GROUP BY ALL
),
judged AS (
    SELECT
        r.network,
        r.account_id,
        r.message_id,
        r.thread_id,
        r.channel,
        r.intent,
        r.negative,
        r.created_at,
        strftime(r.created_at, '%Y-%m') AS month,
        CASE WHEN r.next_ours.created_at <= a.as_of THEN r.next_ours.created_at END AS responded_at,
        CASE WHEN r.next_ours.created_at <= a.as_of THEN r.next_ours.staff_member END AS responder,
        CASE WHEN r.next_ours.created_at <= a.as_of THEN r.next_ours.message_id END AS response_message_id,
        coalesce(c.community_replies, 0) AS community_replies,
        coalesce(p.sla_hours, getvariable('sla_hours')) AS sla_hours,
        coalesce(z.time_zone, 'UTC') AS time_zone,
        a.as_of
    FROM first_response r
    JOIN as_of a USING (network)
    LEFT JOIN community_replies c USING (network, message_id)
    LEFT JOIN sla_policy p USING (network)
    LEFT JOIN time_zones z USING (network, account_id)
    WHERE r.created_at <= a.as_of
)
SELECT
    * EXCLUDE (time_zone),
    strftime(responded_at, '%Y-%m') AS response_month,
    (epoch_us(responded_at) - epoch_us(created_at)) / 3600e6 AS response_hours,
    sla_clock_hours(created_at, coalesce(responded_at, as_of), time_zone) AS sla_clock_hours,
    CASE
        WHEN responded_at IS NOT NULL AND sla_clock_hours(created_at, responded_at, time_zone) <= sla_hours THEN 'met'
        WHEN responded_at IS NOT NULL THEN 'missed'
        WHEN sla_clock_hours(created_at, as_of, time_zone) > sla_hours THEN 'missed'
        ELSE 'pending'
    END AS sla_status
FROM judged
