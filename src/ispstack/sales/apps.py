from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "ispstack.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.sales import jobs  # noqa: F401  (registers outbox handlers)
        from ispstack.sales.contracts import hooks
        from ispstack.subscriptions import events as sub_events
        from ispstack.subscriptions import guards

        # Contracts bind every plan change and termination, whoever makes it
        # (see sales.contracts.hooks): a guard refuses before the change, the
        # handlers charge the contract's fees in the change's transaction,
        # after billing's own handlers (order 10) kept its state row.
        guards.register_plan_change_guard(hooks.check_plan_change)
        events.subscribe(
            sub_events.PlanSwitched, hooks.on_plan_switched, in_transaction=True, order=20
        )
        events.subscribe(
            sub_events.SubscriptionTerminated, hooks.on_terminated, in_transaction=True, order=20
        )
