-- gtrack schema, version 8: the contents of a run's data file are part of its identity.
-- data_hash is the 64-bit FNV-1a (hex) of the data file's contents as read (gzip
-- decompressed; for idx, the images file then the labels file), also folded into
-- spec_hash. NULL for generated data, which the spec's keys and the seed determine.
-- Runs recorded before version 8 keep NULL: their contents were not hashed.
ALTER TABLE runs ADD COLUMN data_hash TEXT;
