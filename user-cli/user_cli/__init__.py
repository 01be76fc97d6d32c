"""user-cli: the command-line client of user_service."""
