-- service_requests: one row per inbound customer service request and our first response to it.
-- Grain: network, message_id (of the request). A request belongs to the month (UTC) it was sent,
-- even when it is answered in a later month.
--
-- Threads: messages are linked by thread_id (the connector or importer sets it to the root of the
-- reply chain), ordered by created_at, then inbound before outbound, then message_id.
-- A service request is an inbound message that is either
--   * classified by the network as a question or a complaint (intent), or
--   * unclassified (intent null) and opens a customer turn: the first message of its thread, or
--     the first after one of our replies (a follow-up), sent as a direct message or a mention,
--     or as a comment that asks ('?') or complains (is_negative). Further messages in the same
--     turn, including other customers' replies, belong to the request already open.
-- The first response is our earliest outbound message in the same thread after the request (in
-- thread order) and no later than as_of. Another customer's answer is not a response: it is
-- only counted in community_replies (inbound replies whose parent_id is the request).
-- response_hours are calendar hours. The SLA clock (sla_clock_hours) counts calendar hours, or
-- business hours in the account's time zone when business hours are configured. The SLA target
-- is the network's (table sla_policy), else the default (variable sla_hours).
-- sla_status: 'met' when answered within the target, 'missed' when answered later or still
-- unanswered past it at as_of, 'pending' when unanswered and not yet past it. as_of is the
-- variable as_of when set, else the latest message of the network in the lake.
WITH ordered AS (
    SELECT
        *,
        lag(direction) OVER thread AS previous_direction,
        min({'created_at': created_at, 'message_id': message_id, 'staff_member': staff_member})
            FILTER (WHERE direction = 'outbound')
            OVER (thread ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_ours
    FROM messages
    WINDOW thread AS (PARTITION BY network, account_id, thread_id ORDER BY created_at, direction, message_id)
),
requests AS (
    SELECT *
    FROM ordered
    WHERE direction = 'inbound'
      AND (
          intent IN ('question', 'complaint')
          OR (
              intent IS NULL
              AND coalesce(previous_direction, 'outbound') = 'outbound'
              AND (channel IN ('direct_message', 'mention') OR contains(coalesce(text, ''), '?') OR is_negative(text))
          )
      )
),
community_replies AS (
    SELECT r.network, r.message_id, count(*) AS community_replies
    FROM requests r
    JOIN messages c
        ON c.network = r.network
        AND c.parent_id = r.message_id
        AND c.direction = 'inbound'
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
        r.intent = 'complaint' OR (r.intent IS NULL AND is_negative(r.text)) AS negative,
        r.created_at,
        strftime(r.created_at, '%Y-%m') AS month,
        CASE WHEN r.next_ours.created_at <= a.as_of THEN r.next_ours.created_at END AS responded_at,
        CASE WHEN r.next_ours.created_at <= a.as_of THEN r.next_ours.staff_member END AS responder,
        CASE WHEN r.next_ours.created_at <= a.as_of THEN r.next_ours.message_id END AS response_message_id,
        coalesce(c.community_replies, 0) AS community_replies,
        coalesce(p.sla_hours, getvariable('sla_hours')) AS sla_hours,
        coalesce(z.time_zone, 'UTC') AS time_zone,
        a.as_of
    FROM requests r
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
