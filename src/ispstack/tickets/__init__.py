"""Helpdesk and field work: tickets with SLA, teams, technicians and field
appointments, outages, email to ticket."""
