"""The output dataset on disk, one job per module:

    layout     where things live under OUT (the paths below)
    files      atomic writes (a temporary name, then one rename), Parquet reading, exchange
    planning   discovery of a drop's files, work estimates, shards
    staging    a run's private staging folder and its lock; sweeping what crashed runs left
    commit     publishing a drop: the new partition swapped in whole, rejects and ledger updated
    ledger     the per-file ledger: what was processed, and what changed since
    runs       run ids and run summaries

    OUT/drop=<drop>/part-*.parquet             the data (hive partitioning; what readers read)
    OUT/_rejects/drop=<drop>/rejects.pq        quarantined files and records, with reasons
    OUT/_ledger/drop=<drop>/ledger.pq          one row per processed source file
    OUT/_runs/<run_id>.json                    each run's summary (the report is built from these)
    OUT/_reports/                              HTML reports
    OUT/_staging/<run_id>/                     shards of a run in progress (readers never look here)

Only the data ends in `.parquet` (see layout): bookkeeping tables are `*.pq`, staged parts
`*.parquet.staged` until their commit, so `OUT/**/*.parquet` finds the data and nothing else.

A run writes its shards under _staging; `commit.commit_drop` then builds the drop's complete new
partition there (carrying over untouched part files by hard link) and swaps it with the live one
in a single rename, so a reader sees the old drop or the new one, never half of either. A crashed
run leaves only a staging folder, removed by the next run (`staging.sweep_staging`).
"""
