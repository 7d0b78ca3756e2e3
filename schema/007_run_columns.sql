-- gtrack schema, version 7: the newer hyper-parameters as typed runs columns, for WHERE,
-- GROUP BY and gtrack report --compare.
ALTER TABLE runs ADD COLUMN norm TEXT;          -- none, layernorm, batchnorm
ALTER TABLE runs ADD COLUMN schedule TEXT;      -- constant, step, cosine
ALTER TABLE runs ADD COLUMN weight_decay REAL;
ALTER TABLE runs ADD COLUMN clip_norm REAL;     -- NULL: off
ALTER TABLE runs ADD COLUMN clip_value REAL;    -- NULL: off
ALTER TABLE runs ADD COLUMN validation REAL;    -- fraction held out
