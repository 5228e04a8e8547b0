"""URLs of the key-accounts app: each part (customers, pool, visits, grading, analysis) lists its own."""
from customers.contracts.views import changes as contract_changes
from customers.contracts.views import contracts, opportunities, payments
from customers.contracts.views import property as property_views
from customers.contracts.views import shipments as shipment_views
from customers.contracts.views import special_requirements as special_requirement_views
from customers.views import analysis, customers, grading, pool, visits

app_name = "customers"
urlpatterns = [*customers.urlpatterns, *pool.urlpatterns, *visits.urlpatterns, *grading.urlpatterns,
               *analysis.urlpatterns, *contracts.urlpatterns, *contract_changes.urlpatterns,
               *opportunities.urlpatterns, *payments.urlpatterns, *special_requirement_views.urlpatterns,
               *shipment_views.urlpatterns, *property_views.urlpatterns]
