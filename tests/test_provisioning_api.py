"""The provisioning API: leads, surveys with photos, conversion and service
orders, end to end; bad input answered 400/409 naming the field; other
tenants' rows 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.billing.models import Invoice
from ispstack.core import clock
from ispstack.core.models import Tenant
from ispstack.provisioning.models import Lead, ServiceOrder, SurveyPhoto
from ispstack.radius.models import RadCheck
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def test_lead_to_active_subscription_through_the_api(
    tenant: Tenant,
    api_client_for: Callable[..., Any],
    make_plan: Callable[..., Any],
    make_pool: Callable[..., Any],
    run_on_commit: Any,
) -> None:
    client = api_client_for(tenant)
    plan = make_plan(tenant)
    pool = make_pool(tenant)
    lead = client.post(
        "/api/v1/leads/",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.net",
            "phone": "+49 30 901820",
            "address": "Unter den Linden 1, Berlin",
            "latitude": "52.517",
            "longitude": "13.389",
            "plan": plan.pk,
            "source": "referral",
        },
        format="json",
    )
    assert lead.status_code == 201, lead.json()
    assert lead.json()["phone"] == "+4930901820"
    lead_id = lead.json()["id"]
    # Without a serviceable survey the lead is not converted.
    refused = client.post(
        f"/api/v1/leads/{lead_id}/convert/", {"username": "ada@isp.example"}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["field"] == "lead"
    when = (clock.now() + dt.timedelta(days=1)).isoformat()
    survey = client.post("/api/v1/surveys/", {"lead": lead_id, "scheduled_at": when}, format="json")
    assert survey.status_code == 201, survey.json()
    survey_id = survey.json()["id"]
    assert Lead.objects.get(pk=lead_id).status == "survey_scheduled"
    photo = client.post(
        f"/api/v1/surveys/{survey_id}/photos/",
        {"image": SimpleUploadedFile("pole.png", PNG, content_type="image/png")},
        format="multipart",
    )
    assert photo.status_code == 201, photo.json()
    assert photo.json()["content_type"] == "image/png"
    done = client.post(
        f"/api/v1/surveys/{survey_id}/complete/",
        {
            "outcome": "serviceable",
            "fibre_available": True,
            "pole_distance_m": 35,
            "obstacles": "a hedge",
            "install_minutes": 90,
        },
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert Lead.objects.get(pk=lead_id).status == "qualified"
    converted = client.post(
        f"/api/v1/leads/{lead_id}/convert/",
        {"username": "ada@isp.example", "pool": pool.pk},
        format="json",
    )
    assert converted.status_code == 201, converted.json()
    order_id = converted.json()["id"]
    assert Lead.objects.get(pk=lead_id).status == "converted"
    plan_view = client.get(f"/api/v1/service-orders/{order_id}/dry-run/")
    assert plan_view.status_code == 200
    assert [s["step"] for s in plan_view.json()][0] == "survey_ok"
    advanced = client.post(f"/api/v1/service-orders/{order_id}/advance/")
    assert advanced.status_code == 200, advanced.json()
    assert advanced.json()["status"] == "completed"
    assert {s["status"] for s in advanced.json()["steps"]} <= {"done", "skipped"}
    sub = Subscription.objects.get(username="ada@isp.example")
    assert sub.status == "active"
    assert sub.customer.email == "ada@example.net"
    assert RadCheck.objects.filter(
        username="ada@isp.example", attribute="Cleartext-Password"
    ).exists()
    assert Invoice.objects.filter(customer=sub.customer).exists()
    # A second conversion of the same lead is refused.
    again = client.post(
        f"/api/v1/leads/{lead_id}/convert/", {"username": "ada2@isp.example"}, format="json"
    )
    assert again.status_code == 409


def test_photo_limits_answer_400_naming_the_field(
    tenant: Tenant, api_client_for: Callable[..., Any], settings: Any
) -> None:
    client = api_client_for(tenant)
    lead = client.post("/api/v1/leads/", {"name": "Bob"}, format="json").json()
    survey = client.post(
        "/api/v1/surveys/",
        {"lead": lead["id"], "scheduled_at": clock.now().isoformat()},
        format="json",
    ).json()
    url = f"/api/v1/surveys/{survey['id']}/photos/"

    def upload(name: str, content: bytes, mime: str) -> Any:
        return client.post(
            url, {"image": SimpleUploadedFile(name, content, content_type=mime)}, format="multipart"
        )

    fake = upload("evil.png", b"<?php system($_GET['c']); ?>", "image/png")
    assert fake.status_code == 400 and fake.json()["field"] == "image"
    settings.SURVEY_PHOTO_MAX_BYTES = 100
    big = upload("big.png", PNG + b"\x00" * 200, "image/png")
    assert big.status_code == 400 and big.json()["field"] == "image"
    settings.SURVEY_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    settings.SURVEY_PHOTOS_MAX = 1
    assert upload("a.webp", WEBP, "image/webp").status_code == 201
    many = upload("b.png", PNG, "image/png")
    assert many.status_code == 400 and many.json()["field"] == "image"
    assert SurveyPhoto.objects.count() == 1


def test_bad_lead_input_answers_400_naming_the_field(
    tenant: Tenant, api_client_for: Callable[..., Any]
) -> None:
    client = api_client_for(tenant)
    for body, field in (
        ({"name": "X", "latitude": "91"}, "latitude"),
        ({"name": "X", "longitude": "-180.5"}, "longitude"),
        ({"name": "X", "phone": "12"}, "phone"),
        ({"name": "X", "email": "not-mail"}, "email"),
        ({"name": "X", "source": "radio"}, "source"),
        ({"email": "a@b.example"}, "name"),
    ):
        answer = client.post("/api/v1/leads/", body, format="json")
        assert answer.status_code == 400, (body, answer.json())
        assert field in str(answer.json()), (body, answer.json())
    assert not Lead.objects.exists()


def test_other_tenants_rows_are_404(
    make_tenant: Callable[..., Tenant],
    api_client_for: Callable[..., Any],
    make_subscription: Callable[..., Any],
) -> None:
    from ispstack.provisioning import orders

    mine, theirs = make_tenant(), make_tenant()
    lead = Lead.objects.create(tenant=theirs, name="Theirs")
    order = orders.create_order(subscription=make_subscription(theirs, active=False))
    client = api_client_for(mine)
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/leads/{lead.pk}/", {"name": "x"}, format="json").status_code == 404
    )
    assert client.post(f"/api/v1/service-orders/{order.pk}/advance/").status_code == 404
    assert client.get(f"/api/v1/service-orders/{order.pk}/dry-run/").status_code == 404
    assert client.get("/api/v1/service-orders/").json()["results"] == []
    assert ServiceOrder.objects.get(pk=order.pk).steps.filter(attempts__gt=0).count() == 0


def test_roles(tenant: Tenant, api_client_for: Callable[..., Any]) -> None:
    support = api_client_for(tenant, role="support")
    assert support.post("/api/v1/leads/", {"name": "Sue"}, format="json").status_code == 201
    assert support.get("/api/v1/service-orders/").status_code == 200
    noc = api_client_for(tenant, role="noc")
    assert noc.get("/api/v1/leads/").status_code == 200
    assert noc.post("/api/v1/leads/", {"name": "Nat"}, format="json").status_code == 403
    billing = api_client_for(tenant, role="billing")
    assert billing.get("/api/v1/service-orders/").status_code == 200
    assert billing.post("/api/v1/leads/", {"name": "Bill"}, format="json").status_code == 403
