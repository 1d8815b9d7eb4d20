"""Prepaid vouchers: plans, agents, batches, codes, RADIUS rows, cards."""
