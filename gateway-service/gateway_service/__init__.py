"""gateway_service: Shippy's HTTP API in front of the nameko services."""
