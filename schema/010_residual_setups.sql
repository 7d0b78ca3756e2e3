-- gtrack schema, version 10: residual setups (model.residual.block, form, learn_alpha,
-- init). Layer 0 (the stem) and the output layer are outside every block; hidden layers
-- 1..depth-1 form consecutive blocks of residual_block layers. layers.residual is 1 on
-- the last layer of a block, where the skip connection is added.
ALTER TABLE runs ADD COLUMN residual_block INTEGER;     -- linear layers per block; NULL: off
ALTER TABLE runs ADD COLUMN residual_form TEXT;         -- branch, post, pre; NULL: off
ALTER TABLE runs ADD COLUMN residual_learn_alpha INTEGER; -- 1: one trained alpha per block
ALTER TABLE runs ADD COLUMN residual_init TEXT;         -- default, fixup, zero_last
ALTER TABLE layers ADD COLUMN block INTEGER;            -- the layer's block, from 0; NULL outside
-- a trained alpha (learn_alpha), on the row of its block's last layer, in the run's dtype
ALTER TABLE checkpoints ADD COLUMN alpha BLOB;

-- One row per block and logged step: the block's alpha (constant unless
-- model.residual.learn_alpha) and dL/dalpha at that step, before the update.
CREATE TABLE block_stats (
  run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step       INTEGER NOT NULL,
  block      INTEGER NOT NULL,
  alpha      REAL,              -- NULL when NaN, as every measurement
  alpha_grad REAL,
  PRIMARY KEY (run_id, step, block)
) STRICT, WITHOUT ROWID;
