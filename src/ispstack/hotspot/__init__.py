"""Hotspot: vouchers, captive portal users and sessions, walled garden, MAC onboarding."""
