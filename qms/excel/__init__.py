"""Excel import and export shared by every procedure (openpyxl).

- ``export``: streaming write-only export (``stream_xlsx``, ``stream_table``), formulas never written;
- ``imports``: import declarations (``ImportDefinition``, ``Column``, ``register_import``) and the services
  (``start_import``, ``validate_batch``, ``request_commit``, ``commit_batch``, ``revert_batch``);
- ``reading``: the hostile-file checks and the row reader; ``workbooks``: the template and the error workbook;
- ``models``: ``ImportBatch``; ``views``: the import pages under /qms/imports/.
"""
