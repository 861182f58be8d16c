-- service_requests, reach: the account-months of the previous set whose rows, as read, change
-- while only time passes (the view previous is that set's service_requests as read at its
-- as_of). A request answered less than resolution_quiet_hours before as_of is 'open' and becomes
-- resolved as the clock moves on; an unanswered one 'pending' becomes missed. The stored rows do
-- not change (their threads did not), but the month marts that read these columns
-- (staff_monthly) recompute those months.
SELECT DISTINCT
    network,
    account_id,
    month
FROM previous
WHERE
    (responded_at IS NOT NULL AND resolution_status = 'open')
    OR sla_status = 'pending'
