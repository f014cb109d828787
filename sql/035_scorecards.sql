-- Scorecards (考核, clause 8.4): the weights a county gives each figure, and the published rankings
-- (docs/evaluation.md, "Scorecards and rankings").
--
-- eval_weights holds the county's choices; a figure without a row keeps its default weight
-- (gisapp/domain/evaluation_score.py DEFAULT_WEIGHTS). Which figures may carry a weight is a rule of the
-- domain (rates, and the counts that are better lower); the CHECKs keep the shape and the range.
--
-- A published scorecard is final: its rows carry each unit's figures, subscores and the weights used,
-- and both tables are append-only, so last month's ranking never changes when the weights change or late
-- steps arrive. One scorecard per county, scope and period; a retry with the same client_ref finds it.

CREATE TABLE eval_weights (
    county_code  varchar(6) NOT NULL REFERENCES counties (code),
    kpi          text NOT NULL CHECK (kpi ~ '^[a-z][a-z_]{0,39}$'),
    weight       numeric(5, 2) NOT NULL CHECK (weight >= 0 AND weight <= 100),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 200),
    PRIMARY KEY (county_code, kpi)
);

CREATE TABLE eval_scorecards (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county_code   varchar(6) NOT NULL REFERENCES counties (code),
    scope         text NOT NULL CHECK (scope IN ('township', 'team', 'department')),
    period_from   date NOT NULL,
    period_to     date NOT NULL,
    weights       jsonb NOT NULL CHECK (jsonb_typeof(weights) = 'object'),  -- {kpi: weight} as used
    rule          text NOT NULL,                -- the scoring rule's version (evaluation_score.RULE)
    as_of         timestamptz NOT NULL,         -- the figures were exact as of this instant
    units         integer NOT NULL CHECK (units >= 0),
    ranked        integer NOT NULL CHECK (ranked >= 0 AND ranked <= units),
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  text NOT NULL,
    client_ref    text CHECK (client_ref ~ '^[A-Za-z0-9._:-]{1,64}$'),
    CHECK (period_to > period_from AND period_to - period_from <= 5 * 366),
    UNIQUE (county_code, scope, period_from, period_to),
    UNIQUE (published_by, client_ref)
);
CREATE INDEX eval_scorecards_list_idx ON eval_scorecards (county_code, period_from DESC, id DESC);

CREATE TABLE eval_scorecard_rows (
    scorecard_id  bigint NOT NULL REFERENCES eval_scorecards (id),
    code          text NOT NULL,
    name          text NOT NULL,
    rank          integer CHECK (rank >= 1),
    score         numeric(5, 2) CHECK (score >= 0 AND score <= 100),
    accepted      bigint NOT NULL CHECK (accepted >= 0),
    parts         jsonb NOT NULL CHECK (jsonb_typeof(parts) = 'object'),  -- {kpi: {value, numerator, ...}}
    PRIMARY KEY (scorecard_id, code),
    CHECK ((rank IS NULL) = (score IS NULL))
);

CREATE TRIGGER eval_scorecards_append_only BEFORE UPDATE OR DELETE ON eval_scorecards
    FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
CREATE TRIGGER eval_scorecards_no_truncate BEFORE TRUNCATE ON eval_scorecards
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only();
CREATE TRIGGER eval_scorecard_rows_append_only BEFORE UPDATE OR DELETE ON eval_scorecard_rows
    FOR EACH ROW EXECUTE FUNCTION refuse_change_append_only();
CREATE TRIGGER eval_scorecard_rows_no_truncate BEFORE TRUNCATE ON eval_scorecard_rows
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_append_only();
