"""Back-office screens of the hotspot app, one module per concept."""

from ispstack.hotspot.captive import admin as captive  # noqa: F401
from ispstack.hotspot.vouchers import admin as vouchers  # noqa: F401
