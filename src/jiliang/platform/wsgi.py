"""WSGI entry point (``jiliang serve`` runs it under waitress)."""

import os

from django.core.wsgi import get_wsgi_application

from jiliang.platform.public_cache import wrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.platform.settings")
# the public verification page is answered from memory when nothing it shows can have changed
application = wrap(get_wsgi_application())
