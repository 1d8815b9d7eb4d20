"""Sales: quotes (formal proposals priced by the billing engine) and their acceptance."""
