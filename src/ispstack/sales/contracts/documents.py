"""The contract document: the invoice's template base
(``billing/document_base.html``) rendered to PDF by WeasyPrint
(``billing.documents.render_pdf``), as the quote's."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ispstack.billing.documents import render_pdf
from ispstack.core import clock
from ispstack.core.money import round_money
from ispstack.notifications.language import in_tenant_language
from ispstack.sales.models import Contract, ContractSubscription


def contract_html(contract: Contract) -> str:
    """The contract's current terms and services as HTML; amounts to the
    currency's minor unit."""
    currency = contract.currency
    links = (
        ContractSubscription.objects.filter(contract=contract, released_on__isnull=True)
        .select_related("subscription__plan")
        .order_by("pk")
    )
    return render_to_string(
        "sales/contract.html",
        {
            "title": _("Contract"),
            "number": f"{contract.number} v{contract.version}",
            "contract": contract,
            "date": clock.today(contract.tenant),
            "tenant": contract.tenant,
            "logo": contract.tenant.logo.path if contract.tenant.logo else "",
            "commitment": round_money(contract.monthly_commitment, currency),
            "fixed_fee": round_money(contract.termination_fee_amount, currency),
            "downgrade_fee": round_money(contract.downgrade_fee, currency),
            "schedule": contract.termination_fee_schedule,
            "deadline": contract.end_date - dt.timedelta(days=contract.notice_days),
            "links": list(links),
        },
    )


def contract_pdf(contract: Contract) -> bytes:
    """PDF bytes of the contract as it stands (its current version), in the
    tenant's language like its invoices (``in_tenant_language``)."""
    with in_tenant_language(contract.tenant_id):
        return render_pdf(contract_html(contract))
