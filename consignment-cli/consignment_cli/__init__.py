"""consignment-cli: the command-line client of consignment_service."""
