from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ispstack.notifications"
    label = "notifications"
    verbose_name = "Notifications"
