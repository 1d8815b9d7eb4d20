"""SMS: a sender interface with two implementations, chosen by settings.

- ``smpp``: SMPP 3.4 to the operator's SMSC (smpplib), bind as transmitter,
  ``submit_sm`` per part (long texts are split and concatenated by UDH),
  the SMSC's message id kept;
- ``http``: a JSON POST to an SMS gateway (``SMS_HTTP_URL``, bearer
  ``SMS_HTTP_TOKEN``) answering ``{"id": ...}``.

Numbers are E.164 (``+27821234567``); callers (the dunning campaigns) hand
the text over; every message is logged in ``SmsLog``.
"""

from __future__ import annotations

import json
from typing import Protocol

from django.conf import settings

from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.notifications.models import SmsLog
from ispstack.notifications.selectors import allows


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> str:
        """Send ``text`` to ``to`` (E.164); returns the gateway's message id."""
        ...


class SmppSender:
    """SMPP 3.4 client (smpplib) for an operator's SMSC."""

    def __init__(self, host: str, port: int, system_id: str, password: str, source: str):
        self.host, self.port = host, port
        self.system_id, self.password, self.source = system_id, password, source

    def send(self, to: str, text: str) -> str:
        import smpplib.client
        import smpplib.consts
        import smpplib.gsm

        ids: list[str] = []
        client = smpplib.client.Client(
            self.host, self.port, timeout=10, allow_unknown_opt_params=True
        )
        client.set_message_sent_handler(
            lambda pdu: ids.append(
                pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else pdu.message_id
            )
        )
        client.connect()
        try:
            client.bind_transmitter(system_id=self.system_id, password=self.password)
            parts, coding, esm_class = smpplib.gsm.make_parts(text)
            for part in parts:
                client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr=self.source,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    destination_addr=to.lstrip("+"),
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    registered_delivery=True,
                )
                client.read_once()
            client.unbind()
        finally:
            client.disconnect()
        return ",".join(ids)


class HttpSmsSender:
    """A JSON HTTP SMS gateway."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def send(self, to: str, text: str) -> str:
        import urllib.request

        request = urllib.request.Request(
            self.url,
            data=json.dumps({"to": to, "text": text}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - operator URL
            return str(json.loads(response.read() or b"{}").get("id", ""))


def sender() -> SmsSender:
    """The configured SMS sender; raises InvalidInput when SMS is not configured."""
    backend = settings.SMS_BACKEND
    if backend == "smpp":
        return SmppSender(
            settings.SMPP_HOST,
            settings.SMPP_PORT,
            settings.SMPP_SYSTEM_ID,
            settings.SMPP_PASSWORD,
            settings.SMS_SENDER_ID,
        )
    if backend == "http":
        return HttpSmsSender(settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN)
    raise InvalidInput("no SMS gateway is configured (SMS_BACKEND)", field="sms")


def send_sms(
    *,
    tenant: Tenant,
    to: str,
    text: str,
    reference: str = "",
    customer_id: int | None = None,
    kind: str = "",
) -> SmsLog | None:
    """Send one SMS now and log it; the sender's error is logged and raised
    again so the outbox job retries.

    ``customer_id`` and ``kind`` (a ``NotificationKind``): a notice the
    customer may switch off; when they switched SMS off for that kind,
    nothing is sent nor logged and None is returned. Without a kind the SMS
    always goes (a legal or transactional message, see
    ``notifications.services``)."""
    if not allows(customer_id, kind, "sms"):
        return None
    if not to.startswith("+"):
        raise InvalidInput("must be an E.164 number (+...)", field="to")
    log = SmsLog(tenant=tenant, to=to, text=text, reference=reference)
    try:
        log.message_id = sender().send(to, text)
    except Exception as exc:
        log.status, log.error = SmsLog.Status.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        log.save()
        raise
    log.status = SmsLog.Status.SENT
    log.save()
    return log
