"""Card payments through a gateway: Stripe (the ``stripe`` SDK).

Cards never touch ispstack: the browser or app turns the card into a
Stripe token, we keep the Stripe customer and card ids (``save_card``) and
charge them later (``charge``) with an idempotency key, so a retried charge
never takes the money twice. Configured by ``STRIPE_API_KEY`` (and
``STRIPE_API_BASE`` to point at a local test server).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.core.money import to_minor_units


class CardDeclined(ServiceError):
    """The gateway refused the card (Stripe ``card_declined`` and friends)."""

    status_code = 402
    code = "card_declined"


@dataclass(frozen=True)
class SavedCard:
    """A card as the gateway keeps it."""

    customer_id: str
    card_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Intent:
    """A Stripe PaymentIntent as ispstack reads it.

    ``status`` is Stripe's (``succeeded``, ``requires_action``,
    ``processing``, ``requires_payment_method``, ``canceled``...);
    ``charge_id`` the charge that took the money (``ch_...``, empty before);
    ``redirect_url`` the bank's 3-D Secure page when Stripe asks for a
    redirect (empty otherwise); ``metadata`` what ispstack attached;
    ``error`` Stripe's message of the last failed attempt.
    """

    id: str
    status: str
    charge_id: str
    client_secret: str
    redirect_url: str
    metadata: dict[str, str]
    error: str


def _intent(found: Any) -> Intent:
    """An ``Intent`` from the SDK's PaymentIntent object (``latest_charge`` is
    an id, or the charge itself when expanded)."""
    obj = found.to_dict()
    charge = obj.get("latest_charge")
    charge_id = charge if isinstance(charge, str) else (charge.get("id") if charge else "")
    action = obj.get("next_action") or {}
    redirect = (action.get("redirect_to_url") or {}).get("url") or ""
    failure = obj.get("last_payment_error") or {}
    return Intent(
        id=str(obj["id"]),
        status=str(obj["status"]),
        charge_id=str(charge_id or ""),
        client_secret=str(obj.get("client_secret") or ""),
        redirect_url=str(redirect),
        metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        error=str(failure.get("message") or ""),
    )


class StripeGateway:
    """Stripe through its official SDK."""

    def __init__(self, api_key: str, api_base: str = "") -> None:
        import stripe

        options = {"base_addresses": {"api": api_base}} if api_base else {}
        self.client = stripe.StripeClient(api_key, **options)  # type: ignore[arg-type]

    def save_card(self, token: str, email: str) -> SavedCard:
        """Attach a card token to a new Stripe customer; raises CardDeclined."""
        import stripe

        try:
            card = self.client.v1.tokens.retrieve(token).card
            if card is None:
                raise InvalidInput("the token is not a card token", field="token")
            customer = self.client.v1.customers.create(params={"email": email, "source": token})
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "the card was declined", field="token") from None
        except stripe.InvalidRequestError as exc:
            raise InvalidInput(
                f"the card token was refused: {exc.user_message}", field="token"
            ) from None
        return SavedCard(
            customer.id,
            str(customer.default_source),
            str(card.brand),
            str(card.last4),
            int(card.exp_month),
            int(card.exp_year),
        )

    def charge(
        self,
        *,
        customer_id: str,
        card_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str,
    ) -> str:
        """Charge ``amount`` (currency units); returns the charge id; raises CardDeclined."""
        import stripe

        cents = to_minor_units(amount, currency)
        try:
            charge = self.client.v1.charges.create(
                params={
                    "amount": cents,
                    "currency": currency.lower(),
                    "customer": customer_id,
                    "source": card_id,
                    "description": description,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "the card was declined", field="card") from None
        return str(charge.id)

    def create_intent(
        self,
        *,
        customer_id: str,
        payment_method: str,
        amount: Decimal,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        return_url: str = "",
    ) -> Intent:
        """Create and confirm a PaymentIntent of ``amount`` (currency units) on a
        saved card (``card_...`` or ``pm_...`` of ``customer_id``).

        The answer's status is ``succeeded``, ``processing`` or
        ``requires_action`` (3-D Secure: the bank's page at ``redirect_url``
        when ``return_url`` was given, Stripe then sends the customer back to
        ``return_url?payment_intent=pi_...``). Raises CardDeclined.
        """
        import stripe

        params: dict[str, Any] = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "metadata": metadata,
            "confirm": True,
        }
        if return_url:
            params["return_url"] = return_url
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "the card was declined", field="card") from None
        return _intent(intent)

    def retrieve_intent(self, intent_id: str) -> Intent:
        """The PaymentIntent ``intent_id`` as it stands now; raises InvalidInput
        (field ``payment_intent``) when Stripe does not know it."""
        import stripe

        try:
            return _intent(self.client.v1.payment_intents.retrieve(intent_id))
        except stripe.InvalidRequestError:
            raise InvalidInput("no such payment", field="payment_intent") from None

    def cancel_intent(self, intent_id: str) -> None:
        """Cancel a PaymentIntent that still waits (for the bank, say); one
        that cannot be canceled any more is left as it is."""
        import stripe

        with contextlib.suppress(stripe.InvalidRequestError):
            self.client.v1.payment_intents.cancel(intent_id)

    def remove_card(self, *, customer_id: str, card_id: str) -> None:
        """Delete a saved card at Stripe so it can never be charged again: a
        ``pm_...`` payment method is detached, a ``card_...`` source deleted
        from its customer. A card Stripe no longer knows is left as it is."""
        import stripe

        with contextlib.suppress(stripe.InvalidRequestError):
            if card_id.startswith("pm_"):
                self.client.v1.payment_methods.detach(card_id)
            else:
                self.client.v1.customers.payment_sources.delete(customer_id, card_id)

    def refund(self, *, charge_id: str, amount: Decimal, currency: str) -> str:
        """Refund part or all of a charge (``amount`` in currency units); returns the refund id."""
        cents = to_minor_units(amount, currency)
        return str(self.client.v1.refunds.create(params={"charge": charge_id, "amount": cents}).id)


def gateway() -> StripeGateway:
    """The configured card gateway; raises InvalidInput when none is configured."""
    if not settings.STRIPE_API_KEY:
        raise InvalidInput("card payments are not configured (STRIPE_API_KEY)", field="card")
    return StripeGateway(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)
