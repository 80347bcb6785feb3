-- A p95 rule's forMinutes is at most 360 now (one-minute buckets are kept at least 6 hours, so
-- a longer run could never be seen). A rule stored under the old limit of 1440 would no longer
-- pass the model's check, and a rule that does not is unreadable: it is brought within the
-- limit instead, watching the longest run that can be seen.
UPDATE alert_rules SET for_minutes = 360 WHERE kind = 'LatencyP95' AND for_minutes > 360;
