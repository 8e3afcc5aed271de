"""Names of the Redis streams the gateway works from, in one place.

API processes write jobs; workers (`tonegate worker`, or the ones inside `tonegate serve`) read
them in consumer groups. /metrics reports each stream's depth, pending entries and group lag.
"""

from __future__ import annotations

from gateway.review import OUTBOX

# The {jobs} hash tag keeps the stream, its dead letters and the dedupe keys in one Redis Cluster
# slot: the intake script touches them together.
JOBS = "tonegate:{jobs}:stream"  # accepted webhooks, and approved replies waiting to be posted
JOBS_GROUP = "workers"
DEAD = "tonegate:{jobs}:dead"  # jobs that failed every attempt; admins list and re-drive them
OUTBOX_GROUP = "callbacks"

# (stream, consumer group or None) pairs reported on /metrics.
WATCHED: tuple[tuple[str, str | None], ...] = ((JOBS, JOBS_GROUP), (OUTBOX, OUTBOX_GROUP), (DEAD, None))
