"""List pagination with bounds, so no request can ask for every row at once."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10**9


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit`` (default 50, at most 1,000) and ``?offset`` (at most 10^9).

    A limit above the maximum is cut to it (DRF's rule); a limit or offset
    that is not a non-negative whole number of reasonable size answers 400
    instead of being ignored or reaching the database.
    """

    default_limit = 50
    max_limit = 1000

    def get_limit(self, request: Any) -> int | None:
        raw = request.query_params.get(self.limit_query_param)
        if raw is not None:
            _check(raw, self.limit_query_param, allow_zero=False)
        return super().get_limit(request)

    def get_offset(self, request: Any) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is not None:
            _check(raw, self.offset_query_param, allow_zero=True)
            if int(raw) > MAX_OFFSET:
                raise ValidationError({self.offset_query_param: [f"Must be at most {MAX_OFFSET}."]})
        return super().get_offset(request)


def _check(raw: str, name: str, *, allow_zero: bool) -> None:
    # str.isdigit accepts other scripts' digits (Arabic-Indic, superscripts);
    # only ASCII digits are numbers here.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or (int(raw) == 0 and not allow_zero):
        rule = "a whole number" if allow_zero else "a whole number above zero"
        raise ValidationError({name: [f"Must be {rule} (got '{raw[:40]}')."]})
