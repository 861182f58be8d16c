-- service_requests, reach: the account-months and threads of the previous set an incremental run
-- recomputes whatever changed (the view previous is that set's service_requests, which is
-- recomputed thread by thread: incremental.THREAD_MARTS). A request answered less than resolution_quiet_hours before
-- the set's as_of is 'open'; as the clock moves on it becomes resolved, which only its turn's
-- replies can tell: its thread is recomputed until then.
SELECT DISTINCT
    network,
    account_id,
    month,
    thread_id
FROM previous
WHERE responded_at IS NOT NULL AND resolution_status = 'open'
