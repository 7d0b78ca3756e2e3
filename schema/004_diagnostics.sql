-- gtrack schema, version 4: gradient clipping and per-layer diagnostics.
-- weight_grad_norm, bias_grad_norm and steps.grad_norm stay the gradients before
-- clipping; these columns hold what the optimizer received after it (NULL when
-- clipping is off), so neither is mistaken for the other.
ALTER TABLE layer_stats ADD COLUMN weight_grad_norm_clipped REAL;
ALTER TABLE layer_stats ADD COLUMN bias_grad_norm_clipped REAL;
ALTER TABLE steps ADD COLUMN grad_norm_clipped REAL;
-- relu: fraction of the layer's units inactive (z <= 0) for the whole batch
ALTER TABLE layer_stats ADD COLUMN dead_fraction REAL;
-- sigmoid, tanh: fraction of the batch's activations whose derivative is below 1% of its
-- maximum
ALTER TABLE layer_stats ADD COLUMN saturated_fraction REAL;
-- fraction of dL/dW entries that are exactly zero or subnormal
ALTER TABLE layer_stats ADD COLUMN zero_grad_fraction REAL;
-- ||W after - W before|| / ||W before|| for this step's update (NULL if none was made)
ALTER TABLE layer_stats ADD COLUMN update_ratio REAL;
