"""vessel_service: Shippy's fleet."""
