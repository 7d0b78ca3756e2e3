-- gtrack schema, version 12: what a run's last bits depend on besides its spec, seed,
-- data and gtrack_version. Two runs with the same spec_hash and seed agree bit for bit
-- when these agree too (README: Threads); NULL for runs recorded before version 12.
ALTER TABLE runs ADD COLUMN threads INTEGER;  -- the threads its steps ran on (--threads, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or the cores)
ALTER TABLE runs ADD COLUMN vector_isa TEXT;  -- the build of gtrack's own loops that ran: avx512f, avx2 or default
ALTER TABLE runs ADD COLUMN blas TEXT;        -- the BLAS build and the kernels it chose for the machine (openblas_get_config)
