"""Festival greetings: drafted ahead from templates, approved by supervisors, mass-sent exactly once."""
