"""Inviting a customer's people to the customer portal, from the customer's page.

A page of its own (not one of the 360 page's actions) so the 360 page's
views stay as they are: the form asks for an email address, a role and a
name, ``portal.services.invite`` creates the login and emails the link.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.core.errors import ServiceError
from ispstack.customers.models import Customer
from ispstack.portal.models import PortalRole, PortalUser
from ispstack.portal.services import invite


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=PortalRole.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)


class PortalInviteView(StaffView):
    """``/staff/customers/<id>/portal-invite/``: the form (GET), the invitation
    (POST); back on the customer's page with a message. The customer's
    existing portal logins are listed on the form."""

    required_perms = ("customers.view_customer", "portal.add_portaluser")

    def _page(self, customer: Customer, form: forms.Form) -> HttpResponse:
        logins = PortalUser.objects.filter(customer=customer).order_by("email")
        return render(
            self.request,
            "console/customer/portal_invite.html",
            {
                "title": _("Portal login: %(name)s") % {"name": customer.name},
                "customer": customer,
                "form": form,
                "logins": logins,
            },
        )

    def _customer(self, pk: int) -> Customer:
        customer: Customer = self.get_scoped(Customer.objects.select_related("tenant"), pk=pk)
        self.require_tenant()
        return customer

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = self._customer(pk)
        form = InviteForm(initial={"email": customer.email, "role": PortalRole.OWNER})
        return self._page(customer, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = self._customer(pk)
        form = InviteForm(request.POST)
        if form.is_valid():
            data: dict[str, Any] = form.cleaned_data
            try:
                user = invite(
                    customer=customer,
                    email=data["email"],
                    role=data["role"],
                    name=data["name"],
                    base_url=f"{request.scheme}://{request.get_host()}",
                    actor=request.user,
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, _("Portal invitation sent to %(email)s.") % {"email": user.email}
                )
                return redirect(reverse("console:customer", args=[customer.pk]))
        return self._page(customer, form)
