"""Staff: accounts, roles and passwords, the notifications they receive, and the `staff` CLI."""
