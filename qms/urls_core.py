"""URLs of the shared core's own pages."""
from django.urls import include, path

from qms import directory
from qms.attachments import urlpatterns as attachments_urlpatterns
from qms.excel import views as excel_views
from qms.capa import views as capa_views
from qms.views.records import MoveView
from qms.views import audit as audit_views

app_name = "qms"
urlpatterns = [
    path("staff/", directory.StaffListView.as_view(), name="staff_list"),
    path("staff/<int:pk>/", directory.StaffDetailView.as_view(), name="staff_detail"),
    path("audit/", audit_views.audit_trail, name="audit_trail"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("imports/", include(excel_views.urlpatterns)),
    path("attachments/", include(attachments_urlpatterns)),
    path("move/<int:content_type_id>/<int:pk>/<str:to>/", MoveView.as_view(), name="move"),
    path("capa/", capa_views.CapaListView.as_view(), name="capa_list"),
    path("capa/export/", capa_views.CapaListView.as_view(export=True), name="capa_export"),
    path("capa/new/", capa_views.capa_raise, name="capa_raise"),
    path("capa/<int:pk>/", capa_views.CapaDetailView.as_view(), name="capa_detail"),
    path("capa/<int:pk>/pdf/", capa_views.CapaPdfView.as_view(), name="capa_pdf"),
    path("capa/<int:pk>/plan/", capa_views.CapaPlanView.as_view(), name="capa_plan"),
    path("capa/<int:pk>/actions/", capa_views.CapaActionAddView.as_view(), name="capa_action_add"),
    path("capa/<int:pk>/actions/<int:action_pk>/done/", capa_views.CapaActionCompleteView.as_view(), name="capa_action_complete"),
]
