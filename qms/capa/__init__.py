"""The shared corrective and preventive action record (纠正和预防措施, PROCEDURES.md §3).

Complaints, management review, nonconforming product, audits and change control all raise the same
CAPA through ``qms.capa.services.raise_capa``.
"""
