-- gtrack schema, version 1. See schema/README.md for the meaning of every column.
-- The names of the runs, layers, layer_stats and steps tables and of the columns that
-- DESIGN.md lists are a public contract: add, never rename.

CREATE TABLE runs (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN
                    ('running', 'finished', 'failed', 'diverged', 'killed', 'crashed')),
  message         TEXT,             -- why a run failed or diverged
  spec            TEXT    NOT NULL, -- the YAML as given
  overrides       TEXT    NOT NULL DEFAULT '', -- the --set options as given
  resolved_spec   TEXT    NOT NULL, -- every key with its value after defaults and --set
  spec_hash       TEXT    NOT NULL, -- FNV-1a of resolved_spec without name and seed
  seed            INTEGER NOT NULL,
  started_at      TEXT    NOT NULL, -- UTC, ISO 8601
  finished_at     TEXT,
  heartbeat_at    TEXT,             -- refreshed at every commit while running
  -- typed hyper-parameters, for WHERE and GROUP BY
  activation      TEXT    NOT NULL,
  activation_slope REAL,
  depth           INTEGER NOT NULL,
  width           INTEGER NOT NULL,
  init            TEXT    NOT NULL,
  init_gain       REAL    NOT NULL,
  init_bias       REAL    NOT NULL,
  residual        INTEGER NOT NULL, -- 0 or 1
  residual_alpha  REAL,             -- NULL when residual = 0
  optimizer       TEXT    NOT NULL,
  lr              REAL    NOT NULL,
  momentum        REAL    NOT NULL,
  batch_size      INTEGER NOT NULL,
  steps           INTEGER NOT NULL, -- steps asked for
  loss_fn         TEXT    NOT NULL,
  dataset         TEXT    NOT NULL,
  samples         INTEGER NOT NULL,
  features        INTEGER NOT NULL,
  outputs         INTEGER NOT NULL,
  dtype           TEXT    NOT NULL,
  log_every       INTEGER NOT NULL,
  -- outcome
  steps_done      INTEGER NOT NULL DEFAULT 0,
  final_loss      REAL,
  elapsed_s       REAL,
  gtrack_version  TEXT    NOT NULL,
  hostname        TEXT,
  pid             INTEGER
) STRICT;

CREATE INDEX runs_by_spec ON runs (spec_hash, seed);
CREATE INDEX runs_by_name ON runs (name);

CREATE TABLE layers (
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  layer      INTEGER NOT NULL, -- 0 nearest the input, the output layer last
  kind       TEXT    NOT NULL CHECK (kind IN ('hidden', 'output')),
  fan_in     INTEGER NOT NULL,
  fan_out    INTEGER NOT NULL,
  activation TEXT    NOT NULL, -- 'linear' for the output layer (softmax is in the loss)
  residual   INTEGER NOT NULL, -- 1 when h <- h + alpha f(W h + b)
  PRIMARY KEY (run_id, layer)
) STRICT, WITHOUT ROWID;

CREATE TABLE steps (
  run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step      INTEGER NOT NULL, -- 0 is the gradient at initialisation, before any update
  loss      REAL,             -- NULL when not a number
  accuracy  REAL,             -- on the batch; NULL for regression
  grad_norm REAL,             -- global norm over all weight and bias gradients
  lr        REAL    NOT NULL,
  elapsed_s REAL    NOT NULL, -- seconds since the run started
  PRIMARY KEY (run_id, step)
) STRICT, WITHOUT ROWID;

-- The primary key serves "this run, this step, all layers"; the index serves
-- "this run, this layer, all steps".
CREATE TABLE layer_stats (
  run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step             INTEGER NOT NULL,
  layer            INTEGER NOT NULL,
  weight_grad_norm REAL, -- ||dL/dW||_F
  bias_grad_norm   REAL, -- ||dL/db||
  delta_norm       REAL, -- ||dL/dz||_F over the batch, z the pre-activation
  weight_norm      REAL, -- ||W||_F
  PRIMARY KEY (run_id, step, layer)
) STRICT, WITHOUT ROWID;

CREATE INDEX layer_stats_by_layer ON layer_stats (run_id, layer, step);

-- The seed's measure: how much of the output layer's gradient reaches layer 0.
CREATE VIEW grad_ratio AS
SELECT first.run_id,
       first.step,
       first.weight_grad_norm / last.weight_grad_norm AS weight_grad_ratio,
       first.delta_norm / last.delta_norm AS delta_ratio
FROM layer_stats AS first
JOIN runs ON runs.id = first.run_id
JOIN layer_stats AS last
  ON last.run_id = first.run_id AND last.step = first.step AND last.layer = runs.depth
WHERE first.layer = 0;
