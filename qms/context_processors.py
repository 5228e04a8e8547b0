from django.conf import settings

from qms.notifications import unread_count
from qms.registry import menu_for


def portal(request):
    """The navigation and the unread-notification count for every page (two small queries, once per request:
    templates rendered per table cell with the request run the context processors again)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_name": settings.QMS_SITE_NAME}
    cached = getattr(request, "_qms_portal_context", None)
    if cached is None:
        cached = {
            "site_name": settings.QMS_SITE_NAME,
            "portal_menu": menu_for(user),
            "unread_notifications": unread_count(user),
        }
        request._qms_portal_context = cached
    return cached
