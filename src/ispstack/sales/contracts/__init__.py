"""Contracts of sales: terms and their rules (``terms``), early termination
fees (``fees``), every write (``services``), the hooks that make each
subscription change respect its contract (``hooks``), renewals and
reminders (``renewals``) and SLA service credits (``credits``)."""
