"""URLs of the complaints app: complaints, returns, adverse events, advisory notices, surveys and the dashboard."""
from complaints.views import adverse, complaints, dashboard, notices, returns, surveys

app_name = "complaints"
urlpatterns = [
    *complaints.urlpatterns,
    *returns.urlpatterns,
    *adverse.urlpatterns,
    *notices.urlpatterns,
    *surveys.urlpatterns,
    *dashboard.urlpatterns,
]
