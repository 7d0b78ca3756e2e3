-- gtrack schema, version 3: stored parameters (log.checkpoints), which gtrack export
-- writes as safetensors.
CREATE TABLE checkpoints (
  run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step    INTEGER NOT NULL, -- the parameters used at this step; runs.steps: the final ones
  layer   INTEGER NOT NULL,
  weight  BLOB    NOT NULL, -- (fan_out, fan_in), row-major, little-endian runs.dtype
  bias    BLOB    NOT NULL, -- (fan_out)
  PRIMARY KEY (run_id, step, layer)
) STRICT, WITHOUT ROWID;
