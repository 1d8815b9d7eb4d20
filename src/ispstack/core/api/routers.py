"""The router the root API assembles every app's routes on."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter
from rest_framework.viewsets import ViewSetMixin

Route = tuple[str, type[ViewSetMixin], str]
"""One registration of an app's ``api/urls.py``: ``(prefix, viewset class, basename)``."""


class RootView(APIRootView):
    """The list of resources at ``/api/v1/``: their URLs only, no rows, so any
    signed-in user may read it."""

    permission_classes = [IsAuthenticated]


class Router(DefaultRouter):
    """A ``DefaultRouter`` where a higher floor adds actions to a lower floor's
    resource: the same prefix and basename may be registered again with a
    viewset that has only ``@action`` routes (e.g. ``customers/{id}/statement/``
    from payments on billing's ``customers`` resource), so the URL names stay
    ``<basename>-<action>``.

    DRF refuses a repeated basename to keep URL names unique; this router checks
    that directly: a basename serves one prefix, and no URL name is generated
    twice. Register the resource before its extensions: an extension's
    ``detail=False`` action would be shadowed by an earlier ``{prefix}/{pk}/``.
    """

    APIRootView = RootView

    def is_already_registered(self, new_basename: str) -> bool:
        # Checked in register() and get_urls() instead, see the class docstring.
        return False

    def register(
        self, prefix: str, viewset: type[ViewSetMixin], basename: str | None = None
    ) -> None:
        for known_prefix, _viewset, known_basename in self.registry:
            if known_basename == basename and known_prefix != prefix:
                raise ImproperlyConfigured(
                    f'basename "{basename}" is registered on "{known_prefix}", not "{prefix}"'
                )
        super().register(prefix, viewset, basename)

    def get_urls(self) -> list[Any]:
        urls = super().get_urls()
        # Each route also has a twin with a format suffix (".json") under the same name.
        names = [
            url.name
            for url in urls
            if isinstance(url, URLPattern)
            and url.name
            and "format" not in url.pattern.regex.groupindex
        ]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ImproperlyConfigured(f"URL names generated twice: {repeated}")
        return urls
