"""Revenue recognition, the accounting journal, period close and exports."""
