"""Survey photos on a lead's console page: thumbnails linking to the image,
served through an authenticated view that checks the tenant, the right and
the file's content; never a file that is not the image it was stored as."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ispstack.core.models import Tenant
from ispstack.provisioning import services

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture
def photographed(tenant: Tenant, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path
    lead = services.create_lead(tenant=tenant, name="Ada", email="ada@example.net")
    survey = services.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    photos = [
        services.add_survey_photo(
            survey=survey, image=SimpleUploadedFile(name, content, content_type="image/png")
        )
        for name, content in (("pole.png", PNG), ("wall.jpg", JPEG))
    ]
    return lead, photos


def test_lead_page_shows_thumbnails_and_the_view_serves_the_image(
    client: Client, tenant: Tenant, make_staff: Callable[..., Any], photographed: Any
) -> None:
    lead, (png, jpeg) = photographed
    client.force_login(make_staff(tenant, "support"))
    page = client.get(f"/staff/leads/{lead.pk}/").content.decode()
    for photo in (png, jpeg):
        assert f'src="/staff/survey-photos/{photo.pk}/"' in page
    assert 'alt="Survey photo 1"' in page and 'alt="Survey photo 2"' in page

    image = client.get(f"/staff/survey-photos/{png.pk}/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in image["Content-Security-Policy"]
    assert b"".join(image.streaming_content) == PNG
    assert client.get(f"/staff/survey-photos/{jpeg.pk}/")["Content-Type"] == "image/jpeg"


def test_a_file_swapped_on_disk_is_never_served(
    client: Client, tenant: Tenant, make_staff: Callable[..., Any], photographed: Any
) -> None:
    _lead, (png, _jpeg) = photographed
    Path(png.image.path).write_bytes(b"<script>alert(1)</script>")
    client.force_login(make_staff(tenant, "admin"))
    assert client.get(f"/staff/survey-photos/{png.pk}/").status_code == 404
    Path(png.image.path).unlink()
    assert client.get(f"/staff/survey-photos/{png.pk}/").status_code == 404


def test_other_tenants_roles_and_anonymous(
    client: Client,
    tenant: Tenant,
    make_tenant: Callable[..., Tenant],
    make_staff: Callable[..., Any],
    photographed: Any,
) -> None:
    _lead, (png, _jpeg) = photographed
    url = f"/staff/survey-photos/{png.pk}/"
    assert client.get(url).status_code in (302, 403)  # to the login page
    client.force_login(make_staff(make_tenant(), "admin"))
    assert client.get(url).status_code == 404
    client.force_login(make_staff(tenant, "technician"))
    assert client.get(url).status_code == 403
