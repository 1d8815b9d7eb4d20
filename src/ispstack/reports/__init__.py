"""Finance reports: MRR and its movements, churn, ARPU, CLTV, CAC and the aging
of overdue invoices, computed from dated facts (docs/metrics.md)."""
