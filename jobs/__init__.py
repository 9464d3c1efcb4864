"""A durable job queue on Redis: jobs survive restarts, a crashed worker's jobs come back, failures stay visible."""
