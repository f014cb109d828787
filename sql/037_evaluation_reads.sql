-- Reading the roll-ups at province scale (docs/benchmarks-evaluation.md): the figures of a page of 500 grids,
-- teams or members for a month read 500 units' rows, not every unit's.
--
-- The primary keys of eval_rollup and eval_late_closures lead with (scope_kind, bucket, bucket_start,
-- county_code, township_code, code): a query for some codes in a county cannot seek on the code past the
-- township, so it read every grid's (or member's) row of the month and filtered (41,495 rows for 179 found,
-- 300 ms, on 2,000,000 events). These indexes lead with the code.
CREATE INDEX eval_rollup_code_idx ON eval_rollup (scope_kind, code, bucket, bucket_start);
CREATE INDEX eval_late_closures_code_idx ON eval_late_closures (scope_kind, code, bucket, bucket_start);

-- eval_contributions is planned generically (its ids are a parameter): the plan of its "every event" branch
-- costs millions, so PostgreSQL compiled every call with JIT (about 0.6 s of a 0.9 s call for 330 events,
-- the stretches `measures` reads from the facts, and each fold). Its calls touch few rows: no JIT.
ALTER FUNCTION eval_contributions(bigint[]) SET jit = off;
