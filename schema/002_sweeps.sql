-- gtrack schema, version 2: sweeps, and a stable identity for every run.
-- Applied on top of version 1; existing runs are kept and get a uuid.

-- One row per sweep file; running the same file again reuses its row.
CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  spec        TEXT NOT NULL,        -- the sweep file as given
  sweep_hash  TEXT NOT NULL UNIQUE, -- FNV-1a of spec: the sweep's identity across shards
  created_at  TEXT NOT NULL
) STRICT;

ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps (id);
-- Random, assigned at insert: what gtrack merge uses to recognise a run it has seen.
ALTER TABLE runs ADD COLUMN uuid TEXT;
UPDATE runs SET uuid = lower(hex(randomblob(16))) WHERE uuid IS NULL;

CREATE INDEX runs_by_sweep ON runs (sweep_id);
CREATE UNIQUE INDEX runs_by_uuid ON runs (uuid);
