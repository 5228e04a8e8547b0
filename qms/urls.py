from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from qms.views import portal

admin.site.site_header = _("QMS 质量管理平台 · 后台")
admin.site.site_title = _("QMS 后台")
admin.site.index_title = _("后台管理")

urlpatterns = [
    path("", portal.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("language/", portal.set_language, name="set_language"),
    path("notifications/", portal.notification_list, name="notifications"),
    path("notifications/read/", portal.notification_read, name="notifications_read"),
    path("notifications/<int:pk>/", portal.notification_open, name="notification_open"),
    path("qms/", include("qms.urls_core")),
    path("customers/", include("customers.urls")),
    path("complaints/", include("complaints.urls")),
    path("renovation/", include("renovation.urls")),
    path("production/", include("production.urls")),
    path("changes/", include("changes.urls")),
    path("reviews/", include("reviews.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "qms.views.portal.permission_denied"
handler404 = "qms.views.portal.page_not_found"
