"""The portal's URLs and, under /bench/bare/, the bare pages of bench_lists.py and bench_contracts.py (benchmarks.bare)."""
from django.urls import path

from benchmarks import bare
from qms.urls import handler403, handler404, urlpatterns as portal  # noqa: F401

urlpatterns = [
    path("bench/bare/customers/", bare.customers, name="bare_customers"),
    path("bench/bare/complaints/", bare.complaints, name="bare_complaints"),
    path("bench/bare/renovation/", bare.applications, name="bare_applications"),
    path("bench/bare/capa/", bare.capas, name="bare_capas"),
    path("bench/bare/contracts/", bare.contracts, name="bare_contracts"),
    path("bench/bare/lots/", bare.lots, name="bare_lots"),
    path("bench/bare/trace/", bare.trace, name="bare_trace"),
    *portal,
]
