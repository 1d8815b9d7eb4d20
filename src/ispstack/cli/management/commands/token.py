"""``ispstack token create|list|revoke``: API tokens from the shell.

``token create USERNAME --name NAME [--scope SCOPE ...] [--expires-days N]``
prints the raw token once; ``token list USERNAME`` shows prefixes and
state; ``token revoke PREFIX`` ends a token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ispstack.api.models import ApiToken
from ispstack.api.tokens import create_token, revoke_token
from ispstack.core import clock, inputs
from ispstack.core.errors import ServiceError
from ispstack.core.models import User

ACTOR = "cli"


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"username: no user '{username}'")
    return user


class Command(BaseCommand):
    help = "API tokens: `token create USERNAME --name N`, `token list USERNAME`, `token revoke P`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; prints it once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            help="A scope (*, *:read, APP:read, APP:write); repeat for more. Default: *.",
        )
        create.add_argument("--expires-days", dest="expires_days", help="Days until it expires.")
        listing = sub.add_parser("list", help="A user's tokens, without secrets.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, options["action"])(options)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None

    def create(self, options: dict[str, Any]) -> None:
        expires = None
        if options["expires_days"] is not None:
            days = inputs.whole_number(options["expires_days"], "expires_days")
            if not 1 <= days <= 36500:
                raise CommandError("--expires-days: must be between 1 and 36500")
            expires = clock.now() + dt.timedelta(days=days)
        token, raw = create_token(
            user=_user(options["username"]),
            name=options["name"],
            scopes=options["scopes"],
            expires=expires,
            actor=ACTOR,
        )
        self.stderr.write(f"token {token.prefix} created; it is shown only this once:")
        self.stdout.write(raw)

    def list(self, options: dict[str, Any]) -> None:
        for token in ApiToken.objects.filter(user=_user(options["username"])):
            state = (
                "revoked"
                if token.revoked
                else ("expired" if token.expires and token.expires <= clock.now() else "active")
            )
            self.stdout.write(
                f"{token.prefix}  {state}  {token.name}  {','.join(token.scopes)}  "
                f"expires {token.expires or 'never'}  last used {token.last_used or 'never'}"
            )

    def revoke(self, options: dict[str, Any]) -> None:
        token = ApiToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"prefix: no token '{options['prefix']}'")
        revoke_token(token=token, actor=ACTOR)
        self.stdout.write(f"token {token.prefix} revoked")
