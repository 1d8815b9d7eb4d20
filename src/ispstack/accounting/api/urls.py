"""Routes of the accounting API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.accounting.api import journal_views, views
from ispstack.core.api.routers import Route

routes: list[Route] = [
    ("journal-entries", journal_views.JournalEntryViewSet, "journalentry"),
    ("revenue-recognition", views.RevenueRecognitionViewSet, "revenue-recognition"),
]
