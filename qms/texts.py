"""Text the portal stores for everyone: written in the portal's own language, which is the catalogue's key, so that
each reader can be shown it in his language (``gettext`` on display, the ``translated`` template filter) whatever
the language of the user whose action stored it."""
from django.conf import settings
from django.utils import translation


def portal_text(text) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)
