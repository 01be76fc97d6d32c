"""user_service: Shippy's accounts and access tokens."""
