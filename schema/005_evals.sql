-- gtrack schema, version 5: evaluation on whole data splits (log.eval_every).
CREATE TABLE evals (
  run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step      INTEGER NOT NULL, -- evaluated with the parameters of this step, before its update
  split     TEXT    NOT NULL CHECK (split IN ('train', 'validation')),
  loss      REAL,             -- mean over the split's examples
  accuracy  REAL,             -- NULL for regression
  examples  INTEGER NOT NULL,
  PRIMARY KEY (run_id, step, split)
) STRICT, WITHOUT ROWID;
