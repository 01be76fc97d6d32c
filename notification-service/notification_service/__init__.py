"""notification_service: mails for Shippy's events."""
