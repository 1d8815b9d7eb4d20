"""WSGI entry point (``ispstack.wsgi:application``) for gunicorn or uWSGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispstack.settings")
application = get_wsgi_application()
