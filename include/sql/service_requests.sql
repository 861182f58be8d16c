-- service_requests: one row per inbound customer service request and its first response.
-- Grain: network, message_id (of the request).
-- A service request is an inbound message tagged as a question or a complaint; where the network
-- gives no intent, an inbound direct message or an inbound message containing '?'.
-- The first response is our earliest outbound message in the same thread created at or after the
-- request. Another customer's answer is not a response. SLA status: 'met' when answered within
-- $sla_hours, 'missed' when answered later or unanswered past the SLA, 'pending' when still
-- unanswered but younger than the SLA at the time of the latest message in the lake (as_of).
WITH requests AS (
    SELECT *
    FROM messages
    WHERE direction = 'inbound'
      AND (
          intent IN ('question', 'complaint')
          OR (intent IS NULL AND (channel = 'direct_message' OR contains(coalesce(text, ''), '?')))
      )
),
outbound AS (
    SELECT network, account_id, thread_id, created_at, staff_member
    FROM messages
    WHERE direction = 'outbound'
),
first_response AS (
    SELECT
        r.network,
        r.message_id,
        min(o.created_at) AS responded_at,
        arg_min(o.staff_member, o.created_at) AS responder
    FROM requests r
    JOIN outbound o
        ON o.network = r.network
        AND o.account_id = r.account_id
        AND o.thread_id = r.thread_id
        AND o.created_at >= r.created_at
    GROUP BY ALL
),
as_of AS (
    SELECT network, account_id, max(created_at) AS as_of FROM messages GROUP BY ALL
)
SELECT
    r.network,
    r.account_id,
    r.message_id,
    r.thread_id,
    r.channel,
    r.intent,
    r.created_at,
    strftime(r.created_at, '%Y-%m') AS month,
    f.responded_at,
    f.responder,
    date_diff('second', r.created_at, f.responded_at) / 3600.0 AS response_hours,
    a.as_of,
    CASE
        WHEN f.responded_at IS NOT NULL AND date_diff('second', r.created_at, f.responded_at) <= getvariable('sla_hours') * 3600 THEN 'met'
        WHEN f.responded_at IS NOT NULL THEN 'missed'
        WHEN date_diff('second', r.created_at, a.as_of) > getvariable('sla_hours') * 3600 THEN 'missed'
        ELSE 'pending'
    END AS sla_status
FROM requests r
LEFT JOIN first_response f USING (network, message_id)
LEFT JOIN as_of a USING (network, account_id)
