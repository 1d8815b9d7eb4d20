"""Card payments through a gateway: Stripe (the ``stripe`` SDK).

Cards never touch ispstack: the browser or app turns the card into a
Stripe token, we keep the Stripe customer and card ids (``save_card``) and
charge them later (``charge``) with an idempotency key, so a retried charge
never takes the money twice. Configured by ``STRIPE_API_KEY`` (and
``STRIPE_API_BASE`` to point at a local test server).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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

    def refund(self, *, charge_id: str, amount: Decimal, currency: str) -> str:
        """Refund part or all of a charge (``amount`` in currency units); returns the refund id."""
        cents = to_minor_units(amount, currency)
        return str(self.client.v1.refunds.create(params={"charge": charge_id, "amount": cents}).id)


def gateway() -> StripeGateway:
    """The configured card gateway; raises InvalidInput when none is configured."""
    if not settings.STRIPE_API_KEY:
        raise InvalidInput("card payments are not configured (STRIPE_API_KEY)", field="card")
    return StripeGateway(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)
