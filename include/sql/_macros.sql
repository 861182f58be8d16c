-- Shared SQL macros, created before any mart runs. Not a mart: it writes no table.

-- The calendar month before a 'YYYY-MM' month, as 'YYYY-MM': month-over-month joins use it.
CREATE OR REPLACE MACRO previous_month(m) AS
    strftime(CAST(m || '-01' AS DATE) - INTERVAL 1 MONTH, '%Y-%m');

-- The UTC month ('YYYY-MM') and UTC day of an instant, through a plain TIMESTAMP: strftime and
-- CAST on a TIMESTAMPTZ go through ICU's time-zone rules, three times slower over millions of rows.
CREATE OR REPLACE MACRO utc_month(ts) AS strftime(make_timestamp(epoch_us(ts)), '%Y-%m');
CREATE OR REPLACE MACRO utc_date(ts) AS CAST(make_timestamp(epoch_us(ts)) AS DATE);
-- The first instant of the UTC month, as a plain TIMESTAMP: a key to group millions of rows by,
-- named after the grouping (strftime(month_start, '%Y-%m')). Grouping 7 M messages by
-- utc_month's text cost twice the CPU of grouping by this.
CREATE OR REPLACE MACRO utc_month_start(ts) AS date_trunc('month', make_timestamp(epoch_us(ts)));

-- Business seconds from 1970-01-01 up to a local wall-clock time (a TIMESTAMP without zone).
-- The difference of two such values is the business time between them, so weekends, nights and
-- the account's DST changes fall out without a calendar table. The business window comes from
-- the variables business_start_s and business_end_s (seconds after local midnight) and
-- business_days (ISO weekdays, 1 = Monday). 1970-01-01 was a Thursday (ISO 4), so day k of any
-- epoch-aligned week is ISO weekday ((k + 3) % 7) + 1 and ISO weekday x is day (x + 3) % 7.
CREATE OR REPLACE MACRO business_seconds_since_epoch(local_ts) AS (
    floor(epoch(local_ts) / 86400 / 7) * len(getvariable('business_days'))
        * (getvariable('business_end_s') - getvariable('business_start_s'))
    + len(list_filter(getvariable('business_days'),
          lambda x: (x + 3) % 7 < floor(epoch(local_ts) / 86400) - 7 * floor(epoch(local_ts) / 86400 / 7)))
        * (getvariable('business_end_s') - getvariable('business_start_s'))
    + CASE WHEN list_contains(getvariable('business_days'), isodow(local_ts))
           THEN least(greatest(epoch(local_ts) - 86400 * floor(epoch(local_ts) / 86400) - getvariable('business_start_s'), 0),
                      getvariable('business_end_s') - getvariable('business_start_s'))
           ELSE 0 END
);

-- Hours on the SLA clock between two instants for an account in time zone tz: plain hours, or
-- business hours in the account's local time when business hours are configured.
CREATE OR REPLACE MACRO sla_clock_hours(started, ended, tz) AS
    CASE WHEN getvariable('business_hours')
         THEN (business_seconds_since_epoch(timezone(tz, ended)) - business_seconds_since_epoch(timezone(tz, started))) / 3600.0
         ELSE (epoch_us(ended) - epoch_us(started)) / 3600e6
    END;

-- Promotional wording in our own posts: selling rather than talking. "deal" alone is a verb
-- too ("we'll deal with every complaint"): only deals, or a great/best/... deal, sell.
CREATE OR REPLACE MACRO is_promotional(text) AS
    regexp_matches(coalesce(text, ''),
        '(?i)(\bsale\b|\d+\s*% off|\bdiscount|\bdeals\b|\b(?:great|best|hot|daily|special|exclusive|big) deal\b|\boffers?\b|\bpromo|\bcoupon|\bshop now\b|\bbuy\b|\border now\b|free shipping|new arrivals|last chance|limited time|don''?t miss)');

-- A post's text reduced to its words: Unicode NFC, lower case, links, digits, punctuation and
-- emoji removed, so that copy-pasted posts with a new link, price or emoji still compare equal
-- (near-duplicates). Letters (and their combining marks) of every script are kept: identical
-- Japanese or Arabic posts are repeats, and "Größe" differs from "Grüße". Each link and each
-- character but a letter, a mark or a space becomes a space, then each run of spaces one: every
-- run of links and non-letters becomes one space. A regular expression costs by its matches, and
-- most runs are one space, which this leaves alone: 25-35% less than one pass replacing every run.
CREATE OR REPLACE MACRO normalised_text(text) AS
    trim(regexp_replace(
        regexp_replace(lower(nfc_normalize(coalesce(text, ''))), 'https?://\S+|[^\p{L}\p{M} ]', ' ', 'g'),
        '  +', ' ', 'g'
    ));
