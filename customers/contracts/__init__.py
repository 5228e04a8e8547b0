"""Contracts and orders (PROCEDURES.md §2, 与顾客有关的过程控制程序): a part of the ``customers`` app.

Opportunities (商机) lead to contracts/orders (合同/订单); a contract is captured with its requirements, classified
常规/非常规, reviewed by the departments (合同评审), registered (合同台账), changed (合同变更), shipped and paid.
The models live in ``customers.contracts.models`` and are imported by ``customers.models`` so that Django finds
them in the ``customers`` app.
"""
