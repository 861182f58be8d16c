-- service_requests: one row per inbound customer service request and our first response to it.
-- Grain: network, account_id, message_id (of the request): a message addressed to two of our
-- accounts is stored by each and is a request of each. A request belongs to the month (UTC) it
-- was sent, even when it is answered in a later month; it is stored by the day (UTC) it was sent.
--
-- Threads: messages are linked by thread_id (the connector or importer sets it to the root of the
-- reply chain), ordered by created_at; in the same second a customer's message comes before ours.
-- A service request is an inbound message that is either
--   * classified by the network as a question or a complaint (network_intent), or
--   * unclassified by the network (network_intent null), marked is_request by our classifier (it
--     asks, reports a problem, or brings the details our reply asked for; docs/metrics.md,
--     "Message classes"), and opens a customer turn: the first such message of its thread, or the
--     first after one of our replies (a follow-up that adds a problem). Further is_request
--     messages before our next reply, other customers' included, belong to the turn already open.
--     A closing after our reply ("thanks!", "ok will DM", "sorted") is not a request.
-- negative: the classifier's is_negative (a complaint, a problem report, or negative sentiment).
-- The first response is our earliest outbound message in the same thread at or after the
-- request's time and no later than as_of (of two in the same second, the lower message_id).
-- Another customer's answer is not a response: it is only counted in community_replies (inbound
-- replies whose parent_id is the request).
-- response_hours are calendar hours. The SLA clock (sla_clock_hours) of an answered request
-- counts calendar hours, or business hours in the account's time zone when business hours are
-- configured (time_zone: the account's then, null in calendar hours, which no zone changes).
-- as_of is the variable as_of when set, else the latest message of the network in the lake:
-- messages after it do not exist yet (then none is), so neither requests nor replies are read past it.
-- Time to resolution: the request's turn is our replies from its first response up to the next
-- request of the thread (the customer, or anyone in the thread, writing again with something that
-- needs an answer): last_reply_at is the turn's last reply, next_request_at that next request.
-- What the clock or the SLA target decides is not stored (so a row stays valid while only time
-- passes): the mart as read (include/sql/read/service_requests.sql) adds as_of, the target
-- (sla_hours), the SLA clock of the requests still unanswered, sla_status ('met', 'missed' or
-- 'pending') and resolution_status ('resolved', 'reopened' or 'open'), defined there.
-- Rows stay narrow on purpose: at millions of messages joins cost by the width of their rows.
-- Our replies are matched to messages with plain hash joins on the thread (no ASOF join, no hashed
-- key: DuckDB's hash() of ids collides often): each reply knows the time of our previous and next
-- reply in its thread, so a reply answers exactly the requests sent after the previous one, and
-- each message meets at most one reply.
-- Each join names second the side its hash table is built on (our replies, the replies to
-- requests): this mart runs with DuckDB's build-side swapping off (metrics.MART_SETTINGS), as
-- DuckDB's estimates of these filtered scans put the hash tables on the larger sides.
-- Per account: the time zone of the SLA clock, joined to the requests only when it counts business
-- hours (in calendar hours the join's condition is constant false and costs nothing): a join of
-- every request to a table of accounts cost 0.9 s at 10 M messages, two of them 1.6 s.
WITH zones AS (
    SELECT network, account_id, arg_max(time_zone, snapshot_date) AS time_zone FROM accounts GROUP BY ALL
),
-- Our replies up to as_of (a later one answers nothing yet), each with the time of our previous,
-- next and last reply in its thread.
ours AS (
    SELECT
        o.network, o.account_id, o.thread_id, o.message_id, o.created_at, o.staff_member,
        lag(o.created_at) OVER thread AS previous_at,
        lead(o.created_at) OVER thread AS next_at,
        last_value(o.created_at) OVER (
            PARTITION BY o.network, o.account_id, o.thread_id ORDER BY o.created_at, o.message_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS thread_last_reply_at
    FROM messages o
    WHERE o.direction = 'outbound' AND (getvariable('as_of') IS NULL OR o.created_at <= getvariable('as_of'))
    WINDOW thread AS (PARTITION BY o.network, o.account_id, o.thread_id ORDER BY o.created_at, o.message_id)
),
-- The inbound messages that may be requests (the network's questions and complaints, and the
-- unclassified messages our classifier marks is_request), each tagged with the time of our latest
-- reply before it in the thread (an inbound message and our reply in the same second: the reply
-- is after). The unclassified ones come in turns: the first of each opens it. Not materialized:
-- each of its two readers joins its own rows to our replies, cheaper than storing 3.8 M tagged rows.
tagged AS NOT MATERIALIZED (
    SELECT
        i.network, i.account_id, i.thread_id, i.message_id, i.created_at, i.channel, i.intent, i.author_id,
        i.is_negative AS negative,
        i.network_intent IS NOT NULL AS classified,
        o.created_at AS after_our_reply_at
    FROM messages i
    LEFT JOIN ours o
        ON o.network = i.network AND o.account_id = i.account_id AND o.thread_id = i.thread_id
        AND o.created_at < i.created_at
        AND (o.next_at IS NULL OR o.next_at >= i.created_at)
    WHERE i.direction = 'inbound'
        AND (getvariable('as_of') IS NULL OR i.created_at <= getvariable('as_of'))
        AND (i.network_intent IN ('question', 'complaint') OR (i.network_intent IS NULL AND i.is_request))
),
turn_openers AS (
    SELECT *
    FROM tagged
    WHERE NOT classified
    QUALIFY row_number() OVER (
        PARTITION BY network, account_id, thread_id, after_our_reply_at ORDER BY created_at, message_id
    ) = 1
),
-- A request with a reply of ours before it is in a thread of several turns (multi_turn).
requests AS (
    SELECT * EXCLUDE (classified) FROM turn_openers
    UNION ALL
    SELECT * EXCLUDE (classified) FROM tagged WHERE classified
),
community_replies AS (
    SELECT r.network, r.account_id, r.message_id, count(*) AS community_replies
    FROM requests r
    JOIN (SELECT network, account_id, parent_id, author_id FROM messages WHERE direction = 'inbound' AND parent_id IS NOT NULL) c
        ON c.network = r.network
        AND c.account_id = r.account_id
        AND c.parent_id = r.message_id
        AND c.author_id <> r.author_id
    GROUP BY ALL
),
-- Threads where a request follows our first reply, that is a request with a reply of ours before
-- it. Elsewhere (most threads) a request's turn runs to our last reply in the thread; only these
-- need the timeline below (no grouping of every request by thread: docs/metrics.md, "Speed").
multi_turn AS (
    SELECT DISTINCT network, account_id, thread_id
    FROM requests
    WHERE after_our_reply_at IS NOT NULL
),
-- In those threads, our replies and the requests on one timeline (a request in the same second as
-- our reply comes first): each reply knows the next request after it, and the replies before that
-- request share their turn's last reply.
timeline AS (
    SELECT
        network, account_id, thread_id, message_id, created_at, is_reply,
        min(CASE WHEN NOT is_reply THEN created_at END) OVER (
            PARTITION BY network, account_id, thread_id ORDER BY created_at, is_reply, message_id
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS next_request_at
    FROM (
        SELECT network, account_id, thread_id, message_id, created_at, TRUE AS is_reply
        FROM ours
        SEMI JOIN multi_turn USING (network, account_id, thread_id)
        UNION ALL
        SELECT network, account_id, thread_id, message_id, created_at, FALSE
        FROM requests
        SEMI JOIN multi_turn USING (network, account_id, thread_id)
    ) events
),
turns AS (
    SELECT
        network, account_id, thread_id, message_id, next_request_at,
        max(created_at) OVER (PARTITION BY network, account_id, thread_id, next_request_at) AS last_reply_at
    FROM timeline
    WHERE is_reply
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
        utc_month(r.created_at) AS month,
        -- the part it is stored in (incremental.DAY_MARTS); readers read month
        utc_date(r.created_at) AS day,
        o.created_at AS responded_at,
        o.staff_member AS responder,
        o.message_id AS response_message_id,
        coalesce(c.community_replies, 0) AS community_replies,
        coalesce(t.last_reply_at, o.thread_last_reply_at) AS last_reply_at,
        t.next_request_at,
        z.time_zone
    FROM requests r
    -- Our first reply at or after the request (as of the same second, ours comes after it).
    LEFT JOIN ours o
        ON o.network = r.network AND o.account_id = r.account_id AND o.thread_id = r.thread_id
        AND o.created_at >= r.created_at
        AND (o.previous_at IS NULL OR o.previous_at < r.created_at)
    LEFT JOIN community_replies c ON c.network = r.network AND c.account_id = r.account_id AND c.message_id = r.message_id
    LEFT JOIN turns t
        ON t.network = r.network AND t.account_id = r.account_id AND t.thread_id = r.thread_id
        AND t.message_id = o.message_id
    LEFT JOIN zones z
        ON getvariable('business_hours') AND z.network = r.network AND z.account_id = r.account_id
)
-- Stored without the clock: nothing here changes when only time passes, so an incremental run
-- keeps every month part whose threads did not change (include/sql/read/service_requests.sql adds
-- as_of, the SLA status and the resolution, which the clock and the target decide).
SELECT
    network,
    account_id,
    message_id,
    thread_id,
    channel,
    intent,
    negative,
    created_at,
    month,
    day,
    responded_at,
    responder,
    response_message_id,
    community_replies,
    time_zone,
    last_reply_at,
    next_request_at,
    -- business hours are costly to count: stored; calendar hours (and the response's month and
    -- hours) are added when read, which costs a reader only the columns it reads
    CASE
        WHEN getvariable('business_hours') THEN sla_clock_hours(created_at, responded_at, time_zone)
    END AS sla_clock_hours
FROM judged
