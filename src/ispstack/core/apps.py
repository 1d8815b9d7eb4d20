from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "ispstack.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from ispstack.core import events, outbox
        from ispstack.core.roles import ensure_roles

        outbox.handler(events.HANDLE_JOB)(events.run_handler)

        # Runs after the last app's migrations so every permission exists.
        post_migrate.connect(ensure_roles, dispatch_uid="ispstack.core.roles")
