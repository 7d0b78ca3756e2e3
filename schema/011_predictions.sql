-- gtrack schema, version 11: what mean-field theory predicts for a run at initialisation,
-- written before its first step (src/theory). One row per linear layer, numbered as in
-- layers; a value the theory does not cover for the run's setup is NULL, never a guess.
CREATE TABLE predictions (
  run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  layer            INTEGER NOT NULL,
  q                REAL,  -- predicted pre-activation second moment per unit
  chi              REAL,  -- predicted factor of E||dL/dz||^2 from layer+1 down to layer; NULL for the output layer
  delta_norm       REAL,  -- predicted step-0 norm of dL/dz, anchored to the measured output layer
  weight_grad_norm REAL,  -- predicted step-0 norm of dL/dW, anchored the same way
  PRIMARY KEY (run_id, layer)
) STRICT, WITHOUT ROWID;
