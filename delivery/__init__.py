"""Messages we owe users, sent through WeChat from the job queue with a stored state and an idempotency key."""
