from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ispstack.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_save

        # Registers the outbox handlers of the invitation, reset and plan
        # change emails and of the sign-in code SMS.
        from ispstack.core import tenant_settings
        from ispstack.portal import selectors, services, sign_in_codes  # noqa: F401
        from ispstack.portal.models import PortalBranding, PortalHost

        tenant_settings.register(PortalBranding)
        # A host added, renamed or removed counts at once in this process
        # (others: after PORTAL_HOST_CACHE_SECONDS, or at once with a shared cache).
        pre_save.connect(selectors.forget_old_host, sender=PortalHost)
        post_save.connect(selectors.forget_host, sender=PortalHost)
        post_delete.connect(selectors.forget_host, sender=PortalHost)
        from ispstack.core.models import Tenant
        from ispstack.customers.models import Customer
        from ispstack.portal import user_cache
        from ispstack.portal.models import PortalUser

        # The signed-in user's cached row (with customer, tenant, branding)
        # is dropped on any change to them, so the next page shows it.
        for signal in (post_save, post_delete):
            signal.connect(user_cache.forget_user, sender=PortalUser)
            signal.connect(user_cache.forget_customer, sender=Customer)
            signal.connect(user_cache.forget_tenant, sender=Tenant)
            signal.connect(user_cache.forget_tenant, sender=PortalBranding)
        from ispstack.core import events
        from ispstack.notifications import language as mail_languages
        from ispstack.portal import language

        # The apps below the portal write to a customer in its language.
        mail_languages.register_resolver(language.customer_id_language)
        mail_languages.register_tenant_resolver(language.tenant_id_language)
        from ispstack.portal.plan_changes import services as plan_changes
        from ispstack.subscriptions import events as sub_events

        # In the transaction: an approved request is applied with the plan
        # change billing applies (after billing's and RADIUS's handlers).
        events.subscribe(
            sub_events.PlanSwitched, plan_changes.on_plan_switched, in_transaction=True, order=20
        )
        events.subscribe(
            sub_events.ScheduledPlanChangesCancelled,
            plan_changes.on_scheduled_plan_changes_cancelled,
            in_transaction=True,
        )
