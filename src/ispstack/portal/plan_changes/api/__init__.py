"""The staff API of plan change requests (under ``/api/v1/plan-change-requests/``)."""
