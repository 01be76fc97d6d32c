"""consignment_service: books consignments onto vessels."""
