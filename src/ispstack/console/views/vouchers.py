"""Vouchers in the staff console: the batches with their state counts, the
plans, a generate form and a code lookup (``/staff/vouchers/``); a batch's
page with its counts, the sell form and the cards PDF. Plans and agents are
set up in ``voucher_setup``.

Read with ``hotspot.view_voucherbatch``; generating and selling need the
add / change permissions (admin and billing, ``core.roles``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.console.forms.shared import show_refusal
from ispstack.core.api.base import pdf_response
from ispstack.core.errors import ServiceError
from ispstack.hotspot.models import Voucher, VoucherAgent, VoucherBatch, VoucherPlan
from ispstack.hotspot.vouchers import cards, codes, selectors, services

VIEW = ("hotspot.view_voucherbatch", "hotspot.view_voucherplan", "hotspot.view_voucher")
GENERATE = (*VIEW, "hotspot.add_voucherbatch", "hotspot.add_voucher")
SELL = (*VIEW, "hotspot.change_voucherbatch", "hotspot.change_voucher")
SET_UP = ("hotspot.add_voucherplan", "hotspot.change_voucherplan", "hotspot.add_voucheragent")


class GenerateForm(forms.Form):
    """A new batch: plan, how many, code shape, agent."""

    plan = forms.ModelChoiceField(label=gettext_lazy("Plan"), queryset=VoucherPlan.objects.none())
    count = forms.CharField(label=gettext_lazy("How many"), max_length=7)
    code_prefix = forms.CharField(label=gettext_lazy("Prefix"), max_length=8, required=False)
    code_length = forms.CharField(label=gettext_lazy("Code length"), max_length=2, initial="10")
    alphabet = forms.CharField(
        label=gettext_lazy("Alphabet"), max_length=64, initial=codes.DEFAULT_ALPHABET
    )
    agent = forms.ModelChoiceField(
        label=gettext_lazy("Agent"), queryset=VoucherAgent.objects.none(), required=False
    )


class VouchersView(StaffView):
    """``/staff/vouchers/``: batches, plans, generate form, lookup by code."""

    required_perms = VIEW

    def page(self, request: HttpRequest, form: GenerateForm, status: int = 200) -> HttpResponse:
        code = request.GET.get("code", "").strip().upper()[:40]
        found = self.scoped(Voucher.objects.select_related("batch__plan")).filter(code=code)
        tenant = self.tenant
        return render(
            request,
            "console/vouchers/index.html",
            {
                "title": gettext_lazy("Vouchers"),
                "batches": self.scoped(
                    selectors.batches_with_counts(tenant) if tenant else VoucherBatch.objects.none()
                )[:100],
                "plans": self.scoped(VoucherPlan.objects.all()),
                "agents": self.scoped(VoucherAgent.objects.order_by("name")),
                "may_set_up": tenant is not None and request.user.has_perms(SET_UP),
                "form": form,
                "may_generate": request.user.has_perms(GENERATE) and tenant is not None,
                "code": code,
                "found": found.first() if code else None,
            },
            status=status,
        )

    def _form(self, data: Any = None) -> GenerateForm:
        form = GenerateForm(data)
        form.fields["plan"].queryset = self.scoped(VoucherPlan.objects.filter(is_active=True))  # type: ignore[attr-defined]
        form.fields["agent"].queryset = self.scoped(VoucherAgent.objects.all())  # type: ignore[attr-defined]
        return form

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perms(GENERATE):
            return HttpResponse(status=403)
        tenant = self.require_tenant()
        form = self._form(request.POST)
        if not form.is_valid():
            return self.page(request, form, 400)
        try:
            batch = services.generate_batch(
                tenant=tenant,
                actor=request.user,
                plan=form.cleaned_data["plan"],
                count=form.cleaned_data["count"],
                prefix=form.cleaned_data["code_prefix"],
                code_length=form.cleaned_data["code_length"],
                alphabet=form.cleaned_data["alphabet"],
                agent=form.cleaned_data["agent"],
            )
        except ServiceError as error:
            show_refusal(form, error, {"prefix": "code_prefix"})
            return self.page(request, form, error.status_code)
        return HttpResponseRedirect(reverse("console:voucher-batch", args=[batch.pk]))


class VoucherBatchView(StaffView):
    """``/staff/vouchers/batches/<pk>/``: counts per state, the agent's
    figures, the sell form; POST sells ``count`` new vouchers."""

    required_perms = VIEW

    def get(
        self, request: HttpRequest, pk: int, error: str = "", status: int = 200
    ) -> HttpResponse:
        batch = self.get_scoped(VoucherBatch.objects.select_related("plan", "agent"), pk=pk)
        return render(
            request,
            "console/vouchers/batch.html",
            {
                "title": str(batch),
                "batch": batch,
                "states": selectors.state_counts(batch),
                "figures": selectors.agent_figures(batch.agent) if batch.agent else [],
                "may_sell": request.user.has_perms(SELL) and self.tenant is not None,
                "error": error,
                "vouchers": batch.vouchers.order_by("id")[:50],
            },
            status=status,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perms(SELL):
            return HttpResponse(status=403)
        batch = self.get_scoped(VoucherBatch.objects.all(), pk=pk)
        self.require_tenant()
        try:
            services.sell_batch(
                batch=batch, count=request.POST.get("count") or None, actor=request.user
            )
        except ServiceError as error:
            return self.get(request, pk, error=str(error), status=error.status_code)
        return HttpResponseRedirect(reverse("console:voucher-batch", args=[batch.pk]))


class VoucherCardsView(StaffView):
    """``/staff/vouchers/batches/<pk>/cards/``: the batch's cards as a PDF."""

    required_perms = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.get_scoped(VoucherBatch.objects.select_related("plan", "tenant"), pk=pk)
        return pdf_response(cards.batch_pdf(batch), f"vouchers-{batch.pk}.pdf")
