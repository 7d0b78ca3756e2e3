-- gtrack schema, version 9: claims, so that two `gtrack sweep` on one database never
-- train the same run twice. A sweep worker claims (spec_hash, seed) in a write
-- transaction that first checks the run has not finished and is not claimed by a live
-- process; the claim of a process that is gone is taken over.
CREATE TABLE run_claims (
  spec_hash TEXT NOT NULL,
  seed INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  claimed_at TEXT NOT NULL,   -- UTC, ISO 8601
  PRIMARY KEY (spec_hash, seed)
);
