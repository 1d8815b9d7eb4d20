"""Hotspot: vouchers, captive portal users and sessions, walled garden, MAC onboarding."""

from django.apps import AppConfig


class HotspotConfig(AppConfig):
    name = "ispstack.hotspot"
    label = "hotspot"
    verbose_name = "Hotspot"

    def ready(self) -> None:
        from ispstack.core import events, tenant_settings
        from ispstack.hotspot.captive import services as captive
        from ispstack.hotspot.models import VoucherSettings
        from ispstack.hotspot.vouchers.radius import owned_usernames
        from ispstack.radius.events import RadiusRowsRebuilt
        from ispstack.radius.services import register_row_owner

        tenant_settings.register(VoucherSettings)

        # A full RADIUS rewrite of a tenant keeps its sold vouchers' rows.
        register_row_owner(owned_usernames)
        # sync_all deletes every radcheck row of the tenant, guests' too.
        events.subscribe(RadiusRowsRebuilt, captive.on_radius_rebuilt, in_transaction=True)
