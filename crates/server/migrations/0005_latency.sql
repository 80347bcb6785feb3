-- Latency samples folded into DDSketch quantile sketches (sketches-ddsketch, stored in its
-- compact binary encoding), one per prefix per bucket, for each tier of bucket width: 60 s
-- (the 6-hour window), 300 s (12 hours, 1 day) and 3600 s (7 and 30 days). Every sample is
-- merged into all three as it arrives, so a coarser tier always holds what the finer ones
-- held; retention then removes finer rows past their window without losing anything.
-- `prefix_*` is the prefix samples are kept under (a /24 for a longer prefix).
CREATE TABLE latency_sketches (
    subscription TEXT NOT NULL,
    prefix_addr  INTEGER NOT NULL,
    prefix_len   INTEGER NOT NULL,
    tier         INTEGER NOT NULL,
    start        INTEGER NOT NULL,  -- Unix seconds, a multiple of tier
    samples      INTEGER NOT NULL,
    sketch       BLOB NOT NULL,
    PRIMARY KEY (subscription, prefix_addr, prefix_len, tier, start)
) WITHOUT ROWID;
-- Retention removes by tier and age across a subscription.
CREATE INDEX latency_sketches_by_age ON latency_sketches (subscription, tier, start);
