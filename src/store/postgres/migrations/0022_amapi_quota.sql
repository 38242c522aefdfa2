-- The Android Management API quota shared by every Envelope process on this database (decision 0033):
-- Google counts 1,000 queries per 100 s per Cloud project, whichever process sends them. Each process
-- leases grants for a short time; a lease is counted in the slot (a fiftieth of the window) it was
-- taken in, and a lease is refused while the slots of the last window and a slot hold the quota.
CREATE TABLE amapi_quota_projects (
  project_id text PRIMARY KEY,
  -- A 429 from Google holds every process's calls back until then.
  blocked_until timestamptz NOT NULL DEFAULT '-infinity'
);

CREATE TABLE amapi_quota_slots (
  project_id text NOT NULL REFERENCES amapi_quota_projects (project_id) ON DELETE CASCADE,
  -- floor(epoch milliseconds / slot length)
  slot bigint NOT NULL,
  used integer NOT NULL,
  PRIMARY KEY (project_id, slot)
);
