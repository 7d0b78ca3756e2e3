-- gtrack schema, version 6: normalisation layers (model.norm).
-- the gradient norms of each hidden layer's normalisation scale (gamma) and shift (beta)
ALTER TABLE layer_stats ADD COLUMN norm_weight_grad_norm REAL;
ALTER TABLE layer_stats ADD COLUMN norm_bias_grad_norm REAL;
-- checkpoints carry the scale and shift too (NULL without normalisation)
ALTER TABLE checkpoints ADD COLUMN norm_weight BLOB;
ALTER TABLE checkpoints ADD COLUMN norm_bias BLOB;
